// The state store: cursors, totals, run history, schemas; persistence and thread safety.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "state/state.h"

using namespace tsyncd;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tsyncd-state-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::unique_ptr<StateStore> open_store(const std::string& path) {
  auto store = StateStore::open(path);
  REQUIRE_MESSAGE(store.ok(), store.error().message);
  return std::move(*store);
}

RunRecord run(const std::string& connector, const std::string& table, int64_t at, bool ok,
              const std::string& error = "") {
  return RunRecord{connector, table, "sync", at - 5, at, ok ? 10 : 0, ok, error};
}

const TableState* find(const std::vector<TableState>& states, const std::string& connector, const std::string& table) {
  for (const TableState& s : states)
    if (s.connector == connector && s.table == table) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("cursors commit and read back; totals accumulate") {
  TempDir dir;
  auto store = open_store(dir.file("state.db"));
  CHECK_FALSE(store->cursor("q", "trades")->has_value());

  REQUIRE(store->commit_cursor("q", "trades", Cursor{1704067200123456, TimeUnit::us, "ts"}, 100).ok());
  auto c = store->cursor("q", "trades");
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  CHECK((*c)->resume_ts == 1704067200123456);
  CHECK((*c)->unit == TimeUnit::us);
  CHECK((*c)->time_column == "ts");

  REQUIRE(store->commit_cursor("q", "trades", Cursor{-9214560000000000000, TimeUnit::ns, "ts ns"}, 50).ok());
  c = store->cursor("q", "trades");
  CHECK((*c)->resume_ts == -9214560000000000000);
  CHECK((*c)->unit == TimeUnit::ns);
  CHECK((*c)->time_column == "ts ns");

  auto states = store->tables();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].rows_total == 150);
  CHECK((*states)[0].cursor->resume_ts == -9214560000000000000);
  CHECK_FALSE((*states)[0].last_success_ms.has_value());
  // Another connector's table of the same name is separate.
  CHECK_FALSE(store->cursor("other", "trades")->has_value());
}

TEST_CASE("run history is bounded and keeps the latest success and failure") {
  TempDir dir;
  auto store = open_store(dir.file("state.db"));
  REQUIRE(store->record_run(run("q", "t", 1000, false, "HTTP 500 from questdb")).ok());
  for (int i = 1; i <= 150; ++i) REQUIRE(store->record_run(run("q", "t", 1000 + i, true)).ok());
  REQUIRE(store->record_run(run("q", "other", 5000, true)).ok());

  auto runs = store->recent_runs("q", "t", 1000);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 101);  // the newest 100, plus the one failure
  CHECK(runs->front().finished_at_ms == 1150);  // newest first
  CHECK(runs->front().ok);
  CHECK(runs->front().rows == 10);
  CHECK(runs->front().kind == "sync");
  CHECK(runs->back().finished_at_ms == 1000);
  CHECK_FALSE(runs->back().ok);
  CHECK(runs->back().error == "HTTP 500 from questdb");
  CHECK(store->recent_runs("q", "t", 3)->size() == 3);
  CHECK(store->recent_runs("q", "other", 10)->size() == 1);

  auto states = store->tables();
  REQUIRE(states.ok());
  const TableState* t = find(*states, "q", "t");
  REQUIRE(t != nullptr);
  CHECK(t->last_success_ms == 1150);
  CHECK(t->last_failure_ms == 1000);
  CHECK(t->last_error == "HTTP 500 from questdb");
  CHECK_FALSE(t->cursor.has_value());

  // A later failure becomes the last error; the success before it stays.
  REQUIRE(store->record_run(run("q", "t", 2000, false, "timeout")).ok());
  states = store->tables();
  t = find(*states, "q", "t");
  CHECK(t->last_failure_ms == 2000);
  CHECK(t->last_error == "timeout");
  CHECK(t->last_success_ms == 1150);
  CHECK(store->recent_runs("q", "t", 1000)->size() == 100);  // the old failure is no longer needed
}

TEST_CASE("reset forgets one table, or every table of a connector") {
  TempDir dir;
  auto store = open_store(dir.file("state.db"));
  for (const char* table : {"a", "b", "c"}) REQUIRE(store->commit_cursor("q", table, Cursor{10, TimeUnit::us, "ts"}, 5).ok());
  REQUIRE(store->commit_cursor("d", "a", Cursor{20, TimeUnit::ms, "__time"}, 7).ok());
  REQUIRE(store->record_run(run("q", "a", 100, true)).ok());

  REQUIRE(store->reset("q", "a").ok());
  CHECK_FALSE(store->cursor("q", "a")->has_value());
  CHECK(store->cursor("q", "b")->has_value());
  auto states = store->tables();
  const TableState* a = find(*states, "q", "a");
  REQUIRE(a != nullptr);  // still known through its run history
  CHECK(a->rows_total == 0);
  CHECK(a->last_success_ms == 100);

  REQUIRE(store->reset("q", "").ok());
  CHECK_FALSE(store->cursor("q", "b")->has_value());
  CHECK_FALSE(store->cursor("q", "c")->has_value());
  REQUIRE(store->cursor("d", "a")->has_value());
  CHECK(store->cursor("d", "a")->value().resume_ts == 20);
  // After a reset the total starts again from zero.
  REQUIRE(store->commit_cursor("q", "b", Cursor{30, TimeUnit::us, "ts"}, 3).ok());
  CHECK(find(*store->tables(), "q", "b")->rows_total == 3);
}

TEST_CASE("schemas are stored and replaced") {
  TempDir dir;
  auto store = open_store(dir.file("state.db"));
  CHECK_FALSE(store->schema("q", "t")->has_value());
  REQUIRE(store->save_schema("q", "t", "{\"columns\":[\"a\"]}").ok());
  REQUIRE(store->save_schema("q", "t", "{\"columns\":[\"a\",\"b\"]}").ok());
  CHECK(store->schema("q", "t")->value() == "{\"columns\":[\"a\",\"b\"]}");
  CHECK_FALSE(store->schema("q", "u")->has_value());
}

TEST_CASE("everything persists across re-opening") {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto store = open_store(path);
    REQUIRE(store->commit_cursor("q", "t", Cursor{123, TimeUnit::ms, "ts"}, 9).ok());
    REQUIRE(store->record_run(run("q", "t", 500, true)).ok());
    REQUIRE(store->save_schema("q", "t", "schema text").ok());
  }
  auto store = open_store(path);
  auto c = store->cursor("q", "t");
  REQUIRE(c->has_value());
  CHECK((*c)->resume_ts == 123);
  CHECK((*c)->unit == TimeUnit::ms);
  CHECK(find(*store->tables(), "q", "t")->rows_total == 9);
  CHECK(store->recent_runs("q", "t", 10)->size() == 1);
  CHECK(store->schema("q", "t")->value() == "schema text");
}

TEST_CASE("a state file from a newer tsyncd is refused, not misread") {
  TempDir dir;
  const std::string path = dir.file("state.db");
  open_store(path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 3", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = StateStore::open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().kind == ErrorKind::state);
  CHECK(store.error().message.find("version 3") != std::string::npos);
  CHECK(store.error().message.find(path) != std::string::npos);
}

TEST_CASE("concurrent calls from several threads") {
  TempDir dir;
  auto store = open_store(dir.file("state.db"));
  constexpr int kThreads = 4, kCommits = 200;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "t" + std::to_string(t);
      for (int i = 1; i <= kCommits; ++i) {
        // Every thread adds to one shared table and to its own.
        if (!store->commit_cursor("q", "shared", Cursor{i, TimeUnit::us, "ts"}, 1).ok()) ++failures[t];
        if (!store->commit_cursor("q", own, Cursor{i, TimeUnit::us, "ts"}, 2).ok()) ++failures[t];
        if (i % 10 == 0 && !store->record_run(run("q", own, i, true)).ok()) ++failures[t];
        if (!store->tables().ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<int>(kThreads, 0));
  auto states = store->tables();
  REQUIRE(states.ok());
  CHECK(find(*states, "q", "shared")->rows_total == kThreads * kCommits);
  for (int t = 0; t < kThreads; ++t) {
    const TableState* own = find(*states, "q", "t" + std::to_string(t));
    REQUIRE(own != nullptr);
    CHECK(own->rows_total == 2 * kCommits);
    CHECK(own->cursor->resume_ts == kCommits);
    CHECK(own->last_success_ms == kCommits);
  }
}

TEST_CASE("one writer per state file: a second lock is refused naming the file and the owner's pid") {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto first = StateLock::acquire(path);
    REQUIRE_MESSAGE(first.ok(), first.error().message);
    StateLock held = std::move(*first);  // a moved lock still holds
    // flock belongs to the open file, so a second open in this very process conflicts like
    // another process would.
    auto second = StateLock::acquire(path);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().kind == ErrorKind::state);
    CHECK(second.error().message ==
          "state file " + path + " is in use by another tsyncd process (pid " + std::to_string(getpid()) + ")");
  }
  // Released with its owner; the lock file stays and is reused.
  CHECK(std::filesystem::exists(path + ".lock"));
  auto again = StateLock::acquire(path);
  CHECK_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
}

TEST_CASE("a state lock that cannot be created says where and why") {
  TempDir dir;
  auto lock = StateLock::acquire(dir.file("missing/state.db"));
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.error().kind == ErrorKind::state);
  CHECK(lock.error().message.find(dir.file("missing/state.db.lock")) != std::string::npos);
  CHECK(lock.error().message.find("No such file or directory") != std::string::npos);
}

TEST_CASE("a version 1 state file is migrated in place: cursors kept, chunk versions added") {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto store = open_store(path);
    REQUIRE(store->commit_cursor("q", "t", Cursor{77, TimeUnit::ms, "__time"}, 5).ok());
  }
  // Back to the version 1 layout, as an older tsyncd left it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TABLE chunks; PRAGMA user_version = 1", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = open_store(path);
  CHECK((*store->cursor("q", "t"))->resume_ts == 77);
  CHECK_FALSE(store->chunk_versions("q", "t")->has_value());
  REQUIRE(store->save_chunk_versions("q", "t", "0 10 ab\n").ok());
  CHECK(store->chunk_versions("q", "t")->value() == "0 10 ab\n");
}

TEST_CASE("chunk versions are replaced, and a reset forgets them with the cursor") {
  TempDir dir;
  auto store = open_store(dir.file("state.db"));
  REQUIRE(store->save_chunk_versions("q", "t", "one").ok());
  REQUIRE(store->save_chunk_versions("q", "t", "two").ok());
  REQUIRE(store->save_chunk_versions("q", "u", "other").ok());
  CHECK(store->chunk_versions("q", "t")->value() == "two");
  REQUIRE(store->reset("q", "t").ok());
  CHECK_FALSE(store->chunk_versions("q", "t")->has_value());
  CHECK(store->chunk_versions("q", "u")->value() == "other");
  REQUIRE(store->reset("q", "").ok());
  CHECK_FALSE(store->chunk_versions("q", "u")->has_value());
}

#include "e2e/test_destination.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <thread>

namespace tsyncd::e2e {

TestDestination::TestDestination(const TempDir& dir) : sqlite_path_(dir.file("dest.db")) {
  const char* chosen = std::getenv("TSYNCD_E2E_DESTINATION");
  const std::string kind = chosen == nullptr ? "sqlite" : chosen;
  if (kind == "sqlite") return;
  REQUIRE_MESSAGE(kind == "postgres", "TSYNCD_E2E_DESTINATION must be sqlite or postgres, not " << kind);
  Result<PgDestination> created = PgDestination::create(dir);
  REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
  postgres_ = std::move(*created);
}

std::string TestDestination::config_json() const {
  if (postgres_) return postgres_->config_json();
  return R"({"type": "sqlite", "path": )" + json_quote(sqlite_path_) + "}";
}

std::vector<std::string> TestDestination::rows(const std::string& connector, const std::string& table,
                                               const std::vector<PgColumn>& columns) const {
  if (!postgres_) {
    std::vector<std::string> names;
    for (const PgColumn& column : columns) names.push_back(column.name);
    return sqlite_rows(sqlite_path_, connector + "__" + table, names);
  }
  Result<std::vector<std::string>> rows = postgres_->rows(connector, table, columns);
  REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? "" : rows.error().message));
  return *rows;
}

int64_t TestDestination::count(const std::string& connector, const std::string& table) const {
  if (!postgres_) return sqlite_count(sqlite_path_, connector + "__" + table);
  Result<int64_t> count = postgres_->count(connector, table);
  return count.ok() ? *count : -1;
}

std::string TestDestination::real_cell(double value) const {
  if (postgres_) return cell_real(value);
  if (std::isnan(value)) return cell_text("NaN");
  return cell_real(value == 0 ? 0.0 : value);
}

void TestDestination::require_ok(const CommandResult& result) const {
  INFO(result.output);
  if (postgres_) CHECK(result.output.find(postgres_->password()) == std::string::npos);
  REQUIRE(result.exit_code == 0);
}

void TestDestination::SqliteCloser::operator()(sqlite3* db) const { sqlite3_close(db); }

void TestDestination::take_down() {
  if (postgres_) {
    Status crashed = postgres_->crash_server();
    REQUIRE_MESSAGE(crashed.ok(), (crashed.ok() ? "" : crashed.error().message));
    return;
  }
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(sqlite_path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  sqlite_lock_.reset(db);
  REQUIRE_MESSAGE(opened == SQLITE_OK, "open " << sqlite_path_ << ": " << sqlite3_errmsg(db));
  sqlite3_busy_timeout(db, 10000);
  REQUIRE_MESSAGE(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK,
                  "lock " << sqlite_path_ << ": " << sqlite3_errmsg(db));
}

void TestDestination::bring_back() {
  if (postgres_) {
    Status restarted = postgres_->restart_server();
    REQUIRE_MESSAGE(restarted.ok(), (restarted.ok() ? "" : restarted.error().message));
    return;
  }
  REQUIRE(sqlite_lock_ != nullptr);
  REQUIRE(sqlite3_exec(sqlite_lock_.get(), "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite_lock_.reset();
}

int kill9_during_sync(const TestDestination& destination, const KillRounds& rounds, int64_t total_rows) {
  std::mt19937 rng(rounds.seed);
  std::uniform_int_distribution<int64_t> target_rows(1000, rounds.max_rows_before_kill);
  std::uniform_int_distribution<int> extra_ms(0, 5);
  std::vector<int64_t> targets(static_cast<size_t>(rounds.kills));
  for (int64_t& target : targets) target = target_rows(rng);
  std::sort(targets.begin(), targets.end());
  const std::string trigger = "/tables/" + rounds.connector + "/" + rounds.table + "/sync";
  int interrupted = 0;
  for (int64_t target : targets) {
    CAPTURE(target);
    Daemon daemon(rounds.config_path, rounds.log_path);
    // Skip the first run's start-up jitter: ask for a sync as soon as the endpoint answers.
    REQUIRE(eventually([&] { return http_post(rounds.status_port, trigger).status == 202; },
                       std::chrono::seconds(10)));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (destination.count(rounds.connector, rounds.table) < target && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(extra_ms(rng)));
    daemon.kill9();
    interrupted += destination.count(rounds.connector, rounds.table) < total_rows;
  }
  return interrupted;
}

}  // namespace tsyncd::e2e

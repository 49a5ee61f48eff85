// The incremental algorithm against an in-memory source and the real SQLite destination: ties
// across page boundaries, tie groups larger than a page, identical rows, lookback, deletes,
// failures between any two steps. The end-to-end suites repeat the important cases over HTTP.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "destinations/destinations.h"
#include "state/state.h"
#include "sync/sync.h"

using namespace tsyncd;

namespace {

// A source whose tables are vectors of rows; reads behave like QuestDB's (ordered by ts, ties in
// insertion order) or, with shuffle_ties, like Druid's (ties in any order on every read).
class MemorySource : public Source {
 public:
  std::vector<Row> rows;  // kept sorted by ts (stable)
  bool shuffle_ties = false;
  int fail_read_number = -1;  // the n-th read (0-based) fails with a transient error
  int reads = 0;
  std::vector<std::pair<TimeRange, size_t>> read_log;
  std::optional<std::vector<ChunkVersion>> chunks;  // set: the source lists its chunks like Druid
  bool fail_chunks = false;

  void insert(int64_t ts, int64_t v, std::string s) {
    Row r;
    r.ts = ts;
    r.values = {format_iso_time(ts, TimeUnit::us), v, std::move(s)};
    auto pos = std::upper_bound(rows.begin(), rows.end(), ts, [](int64_t t, const Row& x) { return t < x.ts; });
    rows.insert(pos, std::move(r));
  }

  Result<TableInfo> discover(const std::string& table, std::stop_token) override {
    TableInfo info;
    info.name = table;
    info.columns = {{"ts", "TIMESTAMP", ColumnType::timestamp_us}, {"v", "LONG", ColumnType::int64},
                    {"s", "VARCHAR", ColumnType::text}};
    info.time_index = 0;
    info.time_unit = TimeUnit::us;
    return info;
  }
  Result<std::optional<Bounds>> bounds(const TableInfo&, std::stop_token) override {
    if (rows.empty()) return std::optional<Bounds>();
    return std::optional<Bounds>(Bounds{rows.front().ts, rows.back().ts, static_cast<int64_t>(rows.size())});
  }
  Result<std::vector<Row>> read(const TableInfo&, const TimeRange& range, size_t limit, std::stop_token) override {
    read_log.push_back({range, limit});
    if (reads++ == fail_read_number) return make_error(ErrorKind::transient, "injected read failure");
    std::vector<Row> out;
    for (const Row& r : rows)
      if (range.contains(r.ts)) out.push_back(r);
    if (shuffle_ties) {
      for (size_t i = 0; i < out.size();) {
        size_t j = i;
        while (j < out.size() && out[j].ts == out[i].ts) ++j;
        std::shuffle(out.begin() + static_cast<long>(i), out.begin() + static_cast<long>(j), rng_);
        i = j;
      }
    }
    if (limit && out.size() > limit) out.resize(limit);
    return out;
  }
  Result<std::optional<std::vector<ChunkVersion>>> chunk_versions(const TableInfo&, std::stop_token) override {
    if (fail_chunks) return make_error(ErrorKind::transient, "injected chunk listing failure");
    return chunks;
  }
  std::string describe() const override { return "memory"; }
  void erase(int64_t ts) {
    rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const Row& r) { return r.ts == ts; }), rows.end());
  }

 private:
  std::mt19937 rng_{42};
};

// Fails the n-th replace_range call (0-based) to simulate a crash between any two pages.
class FlakyDestination : public Destination {
 public:
  explicit FlakyDestination(Destination& inner) : inner_(inner) {}
  int fail_write_number = -1;
  int writes = 0;
  Status ensure_table(const TableRef& ref, const TableInfo& info) override { return inner_.ensure_table(ref, info); }
  Status replace_range(const TableRef& ref, const TableInfo& info, const TimeRange& range,
                       const std::vector<Row>& rows) override {
    if (writes++ == fail_write_number) return make_error(ErrorKind::destination, "injected write failure");
    return inner_.replace_range(ref, info, range, rows);
  }
  Result<int64_t> count_rows(const TableRef& ref) override { return inner_.count_rows(ref); }
  std::string describe(const TableRef& ref) const override { return inner_.describe(ref); }

 private:
  Destination& inner_;
};

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<Destination> sqlite;
  std::unique_ptr<StateStore> state;
  MemorySource source;
  TableRef ref{"c", "t"};

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("tsyncd_sync_test_" + std::to_string(::getpid()) + "_" +
                                                    std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    DestinationOptions o;
    o.type = "sqlite";
    o.path = (dir / "dest.db").string();
    auto d = open_destination(o);
    REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().message));
    sqlite = std::move(d.value());
    auto s = StateStore::open((dir / "state.db").string());
    REQUIRE(s.ok());
    state = std::move(s.value());
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  Result<SyncOutcome> sync(Destination& dest, size_t page_size, Duration lookback = Duration(0)) {
    SyncJob job{source, dest, *state, ref, SyncSettings{page_size, lookback, Duration(0)}, std::nullopt};
    return run_sync(job, std::stop_token());
  }
  Result<SyncOutcome> sync(size_t page_size, Duration lookback = Duration(0)) { return sync(*sqlite, page_size, lookback); }

  // The destination's rows as a sorted multiset of "ts|v|s".
  std::vector<std::string> destination_rows() {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "dest.db").string().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT _tsync_ts, v, s FROM \"c__t\"", -1, &st, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW)
      out.push_back(std::to_string(sqlite3_column_int64(st, 0)) + "|" + std::to_string(sqlite3_column_int64(st, 1)) +
                    "|" + reinterpret_cast<const char*>(sqlite3_column_text(st, 2)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> source_rows() {
    std::vector<std::string> out;
    for (const Row& r : source.rows)
      out.push_back(std::to_string(r.ts) + "|" + std::to_string(std::get<int64_t>(r.values[1])) + "|" +
                    std::get<std::string>(r.values[2]));
    std::sort(out.begin(), out.end());
    return out;
  }
};

constexpr int64_t kT0 = 1704067200000000;  // 2024-01-01T00:00:00Z in us

}  // namespace

TEST_CASE("25,000 rows on one timestamp with page size 1000 arrive exactly once") {
  Fixture f;
  for (int i = 0; i < 25000; ++i) f.source.insert(kT0, i, "tie");
  f.source.insert(kT0 + 1, -1, "after");
  auto out = f.sync(1000);
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
  CHECK(f.destination_rows() == f.source_rows());
  CHECK(f.destination_rows().size() == 25001);
}

TEST_CASE("ties straddling every page boundary, with Druid-like unordered ties") {
  for (bool shuffle : {false, true}) {
    CAPTURE(shuffle);
    Fixture f;
    f.source.shuffle_ties = shuffle;
    // Groups of 7 rows per timestamp against pages of 10: every page ends inside a group.
    for (int g = 0; g < 300; ++g)
      for (int i = 0; i < 7; ++i) f.source.insert(kT0 + g * 1000, g * 7 + i, "g" + std::to_string(g));
    auto out = f.sync(10);
    REQUIRE(out.ok());
    CHECK(f.destination_rows() == f.source_rows());
  }
}

TEST_CASE("identical rows stay as many as the source has") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.source.insert(kT0, 7, "same");
  for (int i = 0; i < 3; ++i) f.source.insert(kT0 + 5, 7, "same");
  REQUIRE(f.sync(2).ok());
  CHECK(f.destination_rows() == f.source_rows());
  // A second run re-reads the last timestamp and must not duplicate it.
  REQUIRE(f.sync(2).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

TEST_CASE("a second sync reads only from the cursor, and a re-run adds nothing") {
  Fixture f;
  for (int i = 0; i < 100; ++i) f.source.insert(kT0 + i, i, "a");
  REQUIRE(f.sync(30).ok());
  for (int i = 100; i < 150; ++i) f.source.insert(kT0 + i, i, "b");
  f.source.read_log.clear();
  auto out = f.sync(30);
  REQUIRE(out.ok());
  CHECK(f.destination_rows() == f.source_rows());
  REQUIRE_FALSE(f.source.read_log.empty());
  CHECK(f.source.read_log.front().first.lo == kT0 + 99);  // resumes at the last synced timestamp
  CHECK(out->rows_written == 51);                          // the re-read last row + 50 new ones
  REQUIRE(f.sync(30).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

TEST_CASE("rows added and deleted inside lookback are reflected; outside it they are not") {
  Fixture f;
  for (int i = 0; i < 100; ++i) f.source.insert(kT0 + i * 1000000LL, i, "x");  // one row per second
  REQUIRE(f.sync(16, Duration(10000)).ok());
  // Inside the 10 s lookback: a late row and a deleted row.
  f.source.insert(kT0 + 95 * 1000000LL, 1000, "late");
  f.source.rows.erase(std::find_if(f.source.rows.begin(), f.source.rows.end(),
                                   [](const Row& r) { return std::get<int64_t>(r.values[1]) == 97; }));
  // Outside it: a late row far back.
  f.source.insert(kT0 + 5 * 1000000LL, 2000, "too late");
  REQUIRE(f.sync(16, Duration(10000)).ok());
  auto dest = f.destination_rows();
  CHECK(std::count(dest.begin(), dest.end(), std::to_string(kT0 + 95 * 1000000LL) + "|1000|late") == 1);
  CHECK(std::count(dest.begin(), dest.end(), std::to_string(kT0 + 97 * 1000000LL) + "|97|x") == 0);
  CHECK(std::count(dest.begin(), dest.end(), std::to_string(kT0 + 5 * 1000000LL) + "|2000|too late") == 0);
  // A resync of the whole table picks up what lookback could not.
  SyncJob job{f.source, *f.sqlite, *f.state, f.ref, SyncSettings{16, Duration(10000), Duration(0)}, ResyncRange{}};
  REQUIRE(run_sync(job, std::stop_token()).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

TEST_CASE("a failure between any two pages converges on the next run without loss or duplicates") {
  for (int fail_at = 0; fail_at < 12; ++fail_at) {
    CAPTURE(fail_at);
    Fixture f;
    for (int g = 0; g < 40; ++g)
      for (int i = 0; i < 3; ++i) f.source.insert(kT0 + g, g * 3 + i, "r");
    FlakyDestination flaky(*f.sqlite);
    flaky.fail_write_number = fail_at;
    auto first = f.sync(flaky, 8);
    CHECK_FALSE(first.ok());
    f.source.fail_read_number = -1;
    REQUIRE(f.sync(8).ok());
    CHECK(f.destination_rows() == f.source_rows());
  }
  for (int fail_at = 0; fail_at < 12; ++fail_at) {
    CAPTURE(fail_at);
    Fixture f;
    for (int g = 0; g < 40; ++g)
      for (int i = 0; i < 3; ++i) f.source.insert(kT0 + g, g * 3 + i, "r");
    f.source.fail_read_number = fail_at;
    (void)f.sync(8);
    f.source.fail_read_number = -1;
    REQUIRE(f.sync(8).ok());
    CHECK(f.destination_rows() == f.source_rows());
  }
}

TEST_CASE("row identity: same values share a key and get increasing dup; key columns narrow the hash") {
  std::vector<Row> rows(4);
  for (auto& r : rows) {
    r.ts = 1;
    r.values = {std::string("a"), int64_t{1}};
  }
  rows[2].values[1] = int64_t{2};
  rows[3].ts = 2;
  assign_row_identity(rows, {});
  CHECK(rows[0].key == rows[1].key);
  CHECK(rows[0].dup == 0);
  CHECK(rows[1].dup == 1);
  CHECK(rows[2].key != rows[0].key);
  CHECK(rows[2].dup == 0);
  CHECK(rows[3].dup == 0);  // a new timestamp starts counting again
  assign_row_identity(rows, {0});
  CHECK(rows[2].key == rows[0].key);
  CHECK(rows[2].dup == 2);
  // Distinct encodings: ("ab","c") vs ("a","bc"), 1 vs 1.0, NULL vs "".
  std::vector<Row> pair(2);
  pair[0].values = {std::string("ab"), std::string("c")};
  pair[1].values = {std::string("a"), std::string("bc")};
  assign_row_identity(pair, {});
  CHECK(pair[0].key != pair[1].key);
  pair[0].values = {int64_t{1}};
  pair[1].values = {1.0};
  assign_row_identity(pair, {});
  CHECK(pair[0].key != pair[1].key);
  pair[0].values = {Value{}};
  pair[1].values = {std::string()};
  assign_row_identity(pair, {});
  CHECK(pair[0].key != pair[1].key);
}

TEST_CASE("an empty source table changes nothing and commits no cursor") {
  Fixture f;
  auto out = f.sync(10);
  REQUIRE(out.ok());
  CHECK(out->rows_written == 0);
  CHECK_FALSE(out->cursor.has_value());
  auto cursor = f.state->cursor("c", "t");
  REQUIRE(cursor.ok());
  CHECK_FALSE(cursor->has_value());
}

TEST_CASE("rows deleted at the end of the table inside lookback disappear, also when the table empties") {
  Fixture f;
  for (int i = 0; i < 50; ++i) f.source.insert(kT0 + i * 1000000LL, i, "x");
  REQUIRE(f.sync(8, Duration(20000)).ok());
  // The last 5 rows go: the source's max moves back below the cursor.
  f.source.rows.resize(45);
  REQUIRE(f.sync(8, Duration(20000)).ok());
  CHECK(f.destination_rows() == f.source_rows());
  f.source.rows.clear();
  REQUIRE(f.sync(8, Duration(60000)).ok());
  CHECK(f.destination_rows().empty());
}

TEST_CASE("a resync never moves the cursor, so rows arriving later below its end are still read") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.source.insert(kT0 + i, i, "x");
  REQUIRE(f.sync(4).ok());
  auto before = f.state->cursor("c", "t");
  REQUIRE(before.ok());
  REQUIRE(before->has_value());
  SyncJob job{f.source, *f.sqlite, *f.state, f.ref, SyncSettings{4, Duration(0), Duration(0)},
              ResyncRange{std::nullopt, format_iso_time(kT0 + 1000000, TimeUnit::us)}};
  REQUIRE(run_sync(job, std::stop_token()).ok());
  auto after = f.state->cursor("c", "t");
  REQUIRE(after.ok());
  CHECK((*after)->resume_ts == (*before)->resume_ts);
  f.source.insert(kT0 + 500, 500, "late but above the cursor");
  REQUIRE(f.sync(4).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

TEST_CASE("changed chunks: new, gone and re-versioned chunks, merged where they touch") {
  const std::vector<ChunkVersion> before = {{0, 10, "a"}, {10, 20, "a"}, {20, 30, "a"}, {40, 50, "a"}, {60, 70, "a"}};
  const std::vector<ChunkVersion> now = {{0, 10, "a"}, {10, 20, "b"}, {20, 30, "a"}, {30, 40, "a"}, {60, 70, "a"}};
  auto changed = changed_chunks(before, now);
  REQUIRE(changed.size() == 2);
  CHECK(changed[0].lo == 10);  // re-versioned
  CHECK(changed[0].hi == 20);
  CHECK(changed[1].lo == 30);  // new [30, 40) and gone [40, 50) touch: one range
  CHECK(changed[1].hi == 50);
  CHECK_FALSE(changed[1].hi_inclusive);
  CHECK(changed_chunks(before, before).empty());
  // Stored form: hashed versions, and a round trip compares equal.
  const std::string text = encode_chunk_versions(now);
  auto decoded = decode_chunk_versions(text);
  REQUIRE(decoded.has_value());
  CHECK(changed_chunks(*decoded, *decode_chunk_versions(encode_chunk_versions(now))).empty());
  CHECK(changed_chunks(*decoded, *decode_chunk_versions(encode_chunk_versions(before))).size() == 2);
  CHECK_FALSE(decode_chunk_versions("12 x\n").has_value());
}

namespace {
// 100 rows 1 ms apart in two chunks of 50 ms, synced once with lookback 0.
struct ChunkedFixture : Fixture {
  static constexpr int64_t kChunk = 50000;  // us
  ChunkedFixture() {
    for (int i = 0; i < 100; ++i) source.insert(kT0 + i * 1000, i, "a");
    source.chunks = std::vector<ChunkVersion>{{kT0, kT0 + kChunk, "v1"}, {kT0 + kChunk, kT0 + 2 * kChunk, "v1"}};
    REQUIRE(sync(7).ok());
    REQUIRE(destination_rows() == source_rows());
  }
  // Reads that started below the cursor's lookback window (which starts at the last row here).
  size_t reads_below(int64_t ts) {
    return static_cast<size_t>(std::count_if(source.read_log.begin(), source.read_log.end(),
                                             [&](const auto& read) { return read.first.lo < ts; }));
  }
};
}  // namespace

TEST_CASE("a chunk the source rewrote far behind the cursor is re-read once its version changes") {
  ChunkedFixture f;
  // Compaction-like rewrite of the first chunk: one row changed, one gone, one added.
  f.source.erase(kT0 + 10000);
  f.source.insert(kT0 + 10000, 1000, "rewritten");
  f.source.erase(kT0 + 20000);
  f.source.insert(kT0 + 20500, 2000, "new");
  // Same version: lookback 0 cannot see it (this is what the versions are for).
  REQUIRE(f.sync(7).ok());
  CHECK(f.destination_rows() != f.source_rows());
  // New version: that chunk, and only it, is read again; the cursor stays where it was.
  (*f.source.chunks)[0].version = "v2";
  f.source.read_log.clear();
  auto outcome = f.sync(7);
  REQUIRE(outcome.ok());
  CHECK(f.destination_rows() == f.source_rows());
  CHECK(outcome->cursor == kT0 + 99000);
  CHECK(f.reads_below(kT0 + ChunkedFixture::kChunk) > 0);
  for (const auto& [range, limit] : f.source.read_log)  // the second chunk, unchanged, is not read again
    if (range.lo < kT0 + 99000) CHECK(range.lo < kT0 + ChunkedFixture::kChunk);
  // Nothing changed since: no re-read below the window.
  f.source.read_log.clear();
  REQUIRE(f.sync(7).ok());
  CHECK(f.reads_below(kT0 + 99000) == 0);
}

TEST_CASE("a chunk that disappears at the source (dropped, marked unused) loses its rows in the destination") {
  ChunkedFixture f;
  for (int i = 50; i < 100; ++i) f.source.erase(kT0 + i * 1000);
  f.source.insert(kT0 + 120000, 7, "later");
  f.source.chunks = std::vector<ChunkVersion>{{kT0, kT0 + ChunkedFixture::kChunk, "v1"},
                                              {kT0 + 100000, kT0 + 150000, "v1"}};
  REQUIRE(f.sync(7).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

TEST_CASE("when the chunks cannot be listed the sync goes on, and the change is still found on the next run") {
  ChunkedFixture f;
  f.source.erase(kT0 + 30000);
  (*f.source.chunks)[0].version = "v2";
  f.source.fail_chunks = true;
  REQUIRE(f.sync(7).ok());
  CHECK(f.destination_rows() != f.source_rows());
  f.source.fail_chunks = false;
  REQUIRE(f.sync(7).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

TEST_CASE("a sync that fails part-way keeps the old chunk versions, so the rewritten chunk is read again") {
  ChunkedFixture f;
  f.source.erase(kT0 + 40000);
  (*f.source.chunks)[0].version = "v2";
  f.source.fail_read_number = f.source.reads + 1;  // the re-read's second page
  REQUIRE_FALSE(f.sync(7).ok());
  REQUIRE(f.sync(7).ok());
  CHECK(f.destination_rows() == f.source_rows());
}

// The fake QuestDB against recorded real QuestDB 9.3.5 exchanges (shared/fixtures/questdb): each
// test sends the exact bytes of a recorded request over a socket and compares the fake's raw
// answer with the recorded wire bytes — status line, every header and its order, chunk framing,
// body — ignoring only the Date value.
//
// The fake is loaded from the recordings themselves: tables are rebuilt from the JSON answers of
// `SELECT *` fixtures (100, 111-117), BINARY bytes from the base64 of 125, upsert keys from 404,
// and the trades tables from setup.sql's formulas with the symbols the fixtures show.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "fakes/questdb/fake_questdb.h"
#include "fakes/questdb/generators.h"
#include "fakes/questdb/recorded.h"
#include "fakes/questdb/test_client.h"

using namespace tsyncd;
using namespace tsyncd::fakes;
using namespace tsyncd::fakes::testing;

namespace {

std::string fixture(const std::string& stem, const std::string& ext) {
  const char* dir = std::getenv("TSYNCD_QUESTDB_FIXTURES");
  REQUIRE_MESSAGE(dir != nullptr, "TSYNCD_QUESTDB_FIXTURES is not set (meson test sets it)");
  std::string path = std::string(dir) + "/" + stem + ext;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The de-chunked JSON body of a recorded answer.
std::string recorded_body(const std::string& stem) {
  std::string resp = fixture(stem, ".resp");
  return resp.substr(resp.find("\r\n\r\n") + 4);
}

RecordedResult recorded(const std::string& stem, const std::string& table) {
  auto r = parse_recorded_result(recorded_body(stem), table);
  REQUIRE_MESSAGE(r.ok(), stem << ": " << (r.ok() ? "" : r.error().message));
  return std::move(*r);
}

std::string decode_base64(std::string_view text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) break;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

size_t column_index(const TableSpec& spec, const std::string& name) {
  for (size_t i = 0; i < spec.columns.size(); ++i)
    if (spec.columns[i].name == name) return i;
  FAIL("no column " << name);
  return 0;
}

void create_and_fill(FakeQuestDb& db, const RecordedResult& r) {
  auto created = db.create_table(r.table);
  REQUIRE_MESSAGE(created.ok(), r.table.name << ": " << (created.ok() ? "" : created.error().message));
  auto inserted = db.insert(r.table.name, r.rows);
  REQUIRE_MESSAGE(inserted.ok(), r.table.name << ": " << (inserted.ok() ? "" : inserted.error().message));
}

// all_types as setup.sql built it: rows inserted by id, so the fake itself has to order them by ts
// with ties in insertion order (ids 1,3,4,5 share a timestamp).
void load_all_types(FakeQuestDb& db) {
  RecordedResult all = recorded("100_all-types", "all_types");
  RecordedResult binary = recorded("125_binary-workaround", "b");  // id, c_binary, len, b64
  std::map<int64_t, std::string> bytes;
  for (const auto& row : binary.rows)
    if (!row[3].is_null()) bytes[row[0].integer()] = decode_base64(row[3].text());
  size_t id = column_index(all.table, "id"), bin = column_index(all.table, "c_binary");
  for (auto& row : all.rows)
    if (auto it = bytes.find(row[id].integer()); it != bytes.end()) row[bin] = Cell::bytes(it->second);
  std::stable_sort(all.rows.begin(), all.rows.end(),
                   [id](const CellRow& a, const CellRow& b) { return a[id].integer() < b[id].integer(); });
  create_and_fill(db, all);
}

void load_dedup(FakeQuestDb& db) {
  RecordedResult dedup = recorded("116_dedup-result", "dedup_wal");
  for (const auto& key : recorded("404_table-columns-dedup", "k").rows)  // column, ..., upsertKey
    dedup.table.columns[column_index(dedup.table, key[0].text())].upsert_key = key[8].boolean();
  create_and_fill(db, dedup);
}

// Symbols by id where a fixture shows them; the others are not recorded anywhere.
std::map<int64_t, std::string> recorded_symbols(const std::vector<std::string>& stems) {
  std::map<int64_t, std::string> out;
  for (const auto& stem : stems) {
    RecordedResult r = recorded(stem, "t");
    size_t id = column_index(r.table, "id"), sym = column_index(r.table, "sym");
    for (const auto& row : r.rows) out[row[id].integer()] = row[sym].text();
  }
  return out;
}

void load_trades(FakeQuestDb& db, const std::string& table, const std::vector<std::string>& stems) {
  auto symbols = recorded_symbols(stems);
  auto symbol_of = [&](int64_t id) {
    auto it = symbols.find(id);
    return it != symbols.end() ? it->second : default_trade_symbol(id);
  };
  REQUIRE(generate_trades(db, table, false, symbol_of).ok());
}

// The fixture database as it was while fixtures 100-621 were recorded (before the late rows).
struct FixtureDb {
  FakeQuestDb db;

  explicit FixtureDb(FakeQuestDbOptions options = {}) : db(std::move(options)) {
    load_all_types(db);
    create_and_fill(db, recorded("111_ns-table", "ns_t"));
    create_and_fill(db, recorded("112_edge-ts", "edge_ts"));
    create_and_fill(db, recorded("113_no-ts-table", "nots_t"));
    create_and_fill(db, recorded("115_select-table-with-space", "my table"));
    create_and_fill(db, recorded("117_empty-table", "empty_t"));
    load_dedup(db);
    load_trades(db, "trades_nowal", {"223_order-by-ts", "804_tie-late-insert-nowal"});
    load_trades(db, "trades_wal", {"805_tie-late-insert-wal"});
    REQUIRE(db.create_table({"t_long128", {{"x", "LONG128"}, {"ts", "TIMESTAMP"}}, "ts"}).ok());
    REQUIRE(db.insert("t_long128", {{nullptr, "2024-01-01T00:00:00.000000Z"}}).ok());
  }

  // setup.sql's last inserts: a row at an existing timestamp, after fixtures 100-621.
  void add_late_rows() {
    for (const char* table : {"trades_nowal", "trades_wal"})
      REQUIRE(db.insert(table, {{"2024-01-01T01:00:00.000000Z", "ZZZ", 1.0, 1, 9001}}).ok());
  }
};

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Replaces the value of every Date header, which carries the recording machine's clock.
std::string without_dates(std::string raw) {
  static const std::regex kDate("\r\nDate: [^\r]*\r\n");
  return std::regex_replace(raw, kDate, "\r\nDate: *\r\n");
}

void expect_same_wire(const std::string& expected_raw, const std::string& actual_raw) {
  static const std::regex kDateFormat("\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|"
                                      "Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d\\d:\\d\\d:\\d\\d GMT\r\n");
  std::string head = actual_raw.substr(0, actual_raw.find("\r\n\r\n") + 2);
  if (!expected_raw.empty()) CHECK_MESSAGE(std::regex_search(head, kDateFormat), "Date header: " << printable(head));
  std::string expected = without_dates(expected_raw), actual = without_dates(actual_raw);
  if (expected == actual) {
    CHECK(true);
    return;
  }
  size_t i = static_cast<size_t>(std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end()).first -
                                 expected.begin());
  size_t from = i > 80 ? i - 80 : 0;
  FAIL_CHECK("first difference at byte " << i << " (expected " << expected.size() << " bytes, got " << actual.size()
                                         << ")\n  expected: ..." << printable(expected.substr(from, 200))
                                         << "\n  actual:   ..." << printable(actual.substr(from, 200)));
}

std::string exchange(int port, const std::string& request) {
  TestSocket s(port);
  REQUIRE(s.connected());
  REQUIRE(s.send(request));
  return s.read_response();
}

void replay(FakeQuestDb& db, const std::string& stem) {
  expect_same_wire(fixture(stem, ".wire"), exchange(db.port(), fixture(stem, ".req")));
}

// Two recorded requests on one connection.
void replay_pair(FakeQuestDb& db, const std::string& first, const std::string& second) {
  TestSocket s(db.port());
  REQUIRE(s.connected());
  REQUIRE(s.send(fixture(first, ".req")));
  expect_same_wire(fixture(first, ".wire"), s.read_response());
  REQUIRE(s.send(fixture(second, ".req")));
  expect_same_wire(fixture(second, ".wire"), s.read_response());
}

FakeQuestDbOptions with_auth() {
  FakeQuestDbOptions o;
  o.user = "admin";  // the recording server's http.user / http.password
  o.password = "quest";
  return o;
}

}  // namespace

#define REPLAY(stem)                \
  TEST_CASE("replay " stem) {       \
    FixtureDb f;                    \
    replay(f.db, stem);             \
  }

// Framing, constants, keep-alive and HTTP quirks.
REPLAY("001_select-1")
REPLAY("120_plus-as-space")
REPLAY("121_pct20-as-space")
REPLAY("539_trailing-semicolon")
REPLAY("722_connection-close")
REPLAY("723_http10")
REPLAY("724_accept-gzip")
REPLAY("590_noauth-with-credentials")
REPLAY("591_noauth-with-wrong-credentials")
REPLAY("504_empty-query")
REPLAY("505_no-query-param")
REPLAY("507_whitespace-query")
REPLAY("508_post-exec")
REPLAY("509_post-exec-form")
REPLAY("510_put-exec")
REPLAY("511_head-exec")
REPLAY("512_unknown-path")
REPLAY("513_exec-trailing-slash")
REPLAY("123_bad-utf8")

// Every type rendered, from data rebuilt out of the recordings.
REPLAY("100_all-types")
REPLAY("111_ns-table")
REPLAY("112_edge-ts")
REPLAY("113_no-ts-table")
REPLAY("115_select-table-with-space")
REPLAY("116_dedup-result")
REPLAY("117_empty-table")
REPLAY("124_null-row")
REPLAY("125_binary-workaround")
REPLAY("126_duplicate-col-names")
REPLAY("108_long128")

// LIMIT forms, ordering, paging.
REPLAY("200_sql-limit-n")
REPLAY("201_sql-limit-a-b")
REPLAY("202_sql-limit-a-b-equal")
REPLAY("203_sql-limit-neg")
REPLAY("204_sql-limit-neg-a-b")
REPLAY("205_sql-limit-a-neg-b")
REPLAY("206_sql-limit-0")
REPLAY("207_sql-offset")
REPLAY("208_sql-limit-desc")
REPLAY("209_sql-limit-beyond")
REPLAY("219_page-ts-ge-limit")
REPLAY("220_page-ts-gt-limit")
REPLAY("221_page-ts-window")
REPLAY("223_order-by-ts")
REPLAY("224_order-by-ts-desc")
REPLAY("225_max-ts-and-count")
REPLAY("226_limit-on-no-ts-table")
REPLAY("419_sample-row-limit-1")

// Timestamp literals in WHERE.
REPLAY("300_where-gt-full")
REPLAY("301_where-ge-full")
REPLAY("302_where-gt-seconds-z")
REPLAY("303_where-gt-millis")
REPLAY("304_where-gt-no-z")
REPLAY("305_where-gt-space")
REPLAY("306_where-gt-date-only")
REPLAY("307_where-gt-hour-only")
REPLAY("308_where-gt-offset")
REPLAY("309_where-gt-1us")
REPLAY("310_where-gt-nanos-literal")
REPLAY("311_where-gt-number")
REPLAY("314_where-between")
REPLAY("315_where-bad-literal")
REPLAY("316_where-garbage-literal")
REPLAY("317_where-ns-micro-literal")
REPLAY("318_where-ns-nano-literal")
REPLAY("319_where-ts-eq")
REPLAY("320_where-before-1970")
REPLAY("321_where-wal-gt")

// Discovery.
REPLAY("403_table-columns")
REPLAY("404_table-columns-dedup")
REPLAY("405_table-columns-trades")
REPLAY("406_show-columns")
REPLAY("407_show-columns-space")
REPLAY("408_table-columns-space")
REPLAY("409_table-columns-unknown")

// Errors.
REPLAY("500_syntax-error")
REPLAY("501_syntax-error-2")
REPLAY("502_unknown-table")
REPLAY("503_unknown-column")
REPLAY("517_multi-statement")
REPLAY("522_exec-query-32k-ok")

TEST_CASE("replay 523_exec-query-too-long: the socket is closed without a byte") {
  FixtureDb f;
  TestSocket s(f.db.port());
  REQUIRE(s.connected());
  s.send(fixture("523_exec-query-too-long", ".req"));
  CHECK(s.read_until_close().empty());
  CHECK((s.at_eof() || s.last_error() == ECONNRESET));
}

TEST_CASE("replay 530_midstream-error-small as an armed fault") {
  FixtureDb f;
  Fault fault = Fault::broken_framing_in_header();
  fault.message = "inconvertible value: `abc` [STRING -> DECIMAL(5,2)]";
  fault.position = 11;
  f.db.arm(fault);
  replay(f.db, "530_midstream-error-small");
}

TEST_CASE("replay 804/805: a late row lands after its tie group") {
  FixtureDb f;
  f.add_late_rows();
  replay(f.db, "804_tie-late-insert-nowal");
  replay(f.db, "805_tie-late-insert-wal");
}

TEST_CASE("replay 710_big-100k: 3.8 MB in chunks of 2,097,147 bytes") {
  FakeQuestDb db;
  REQUIRE(generate_big(db).ok());
  replay(db, "710_big-100k");
}

TEST_CASE("replay 720/721: two requests on one connection") {
  FixtureDb f;
  replay_pair(f.db, "720_keepalive-1", "721_keepalive-2");
}

// Authentication on, as for fixtures 600-621.
#define REPLAY_AUTH(stem)           \
  TEST_CASE("replay " stem) {       \
    FixtureDb f(with_auth());       \
    replay(f.db, stem);             \
  }

REPLAY_AUTH("600_auth-none")
REPLAY_AUTH("601_auth-wrong-password")
REPLAY_AUTH("602_auth-wrong-user")
REPLAY_AUTH("603_auth-ok")
REPLAY_AUTH("604_auth-malformed")
REPLAY_AUTH("605_auth-bearer")
REPLAY_AUTH("608_auth-unknown-path")

TEST_CASE("replay 620/621: a 401, then a retry with credentials on the same connection") {
  FixtureDb f(with_auth());
  replay_pair(f.db, "620_auth-keepalive-1", "621_auth-keepalive-2");
}

// F:110 renders SQL literals; the fake has no expression engine, so the same values go in as
// table data and must come out as the recorded text (5.0E-324, 1.0E301, 0.30000000000000004,
// 1.0E20, -0.0, FLOAT 1.23456792E8, ...).
TEST_CASE("110_literals: FLOAT and DOUBLE values render as recorded") {
  FakeQuestDb db;
  RecordedResult literals = recorded("110_literals", "lit110");
  create_and_fill(db, literals);
  Response r = parse_response(exchange(db.port(), exec_request("SELECT * FROM lit110")));
  std::string expected = recorded_body("110_literals");
  REQUIRE(r.status == 200);
  CHECK(r.body.substr(r.body.find(",\"columns\"")) == expected.substr(expected.find(",\"columns\"")));
}

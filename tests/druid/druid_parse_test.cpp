// The Druid source's pure parts: the SQL and JSON it sends, the type mapping, the arrayLines
// parser (fed with bodies recorded from real Druid servers), and error classification.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "druid/fixtures.h"
#include "sources/druid/druid.h"

using namespace tsyncd;
using namespace tsyncd::druid;
using tsyncd::druid_test::load_recording;

namespace {

TableInfo wiki() {
  TableInfo t;
  t.name = "wiki";
  t.time_unit = TimeUnit::ms;
  t.columns = {{"__time", "TIMESTAMP", ColumnType::timestamp_ms}, {"page", "VARCHAR", ColumnType::text},
               {"added", "BIGINT", ColumnType::int64}};
  t.time_index = 0;
  return t;
}

// The top-level elements of a recorded `array` body ("[[...],[...]]\n"), as arrayLines lines,
// byte for byte, so recorded values can be fed to the arrayLines parser.
std::string array_to_lines(const std::string& body) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  size_t start = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth == 2) start = i;
    } else if (c == ']' || c == '}') {
      if (depth-- == 2) out += body.substr(start, i + 1 - start) + "\n";
    }
  }
  return out + "\n";
}

std::vector<ColumnType> types_of(const ResultHeader& h) {
  std::vector<ColumnType> out;
  for (size_t i = 0; i < h.names.size(); ++i) out.push_back(column_type(h.sql_types[i], h.native_types[i]));
  return out;
}

ArrayLinesBody open_ok(std::string body) {
  auto b = ArrayLinesBody::open(std::move(body));
  REQUIRE_MESSAGE(b.ok(), b.error().message);
  return std::move(b).value();
}

std::vector<Row> rows_ok(const ArrayLinesBody& b, const std::vector<ColumnType>& types,
                         std::optional<size_t> time_index) {
  auto r = b.rows(types, time_index);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return std::move(r).value();
}

const std::string kHeader3 = "[\"__time\",\"v\"]\n[\"LONG\",\"DOUBLE\"]\n[\"TIMESTAMP\",\"DOUBLE\"]\n";

}  // namespace

TEST_CASE("identifiers are double-quoted with quotes doubled") {
  CHECK(quote_identifier("wiki") == "\"wiki\"");
  CHECK(quote_identifier("my \"odd\" ds") == "\"my \"\"odd\"\" ds\"");
}

TEST_CASE("a page is an ordered, limited range with typed parameters") {
  DruidQuery q = read_query(wiki(), TimeRange{1442016000000, 1442102399999, true}, 1000);
  CHECK(q.sql ==
        "SELECT \"__time\", \"page\", \"added\" FROM \"wiki\" WHERE \"__time\" >= MILLIS_TO_TIMESTAMP(?) AND "
        "\"__time\" <= MILLIS_TO_TIMESTAMP(?) ORDER BY \"__time\" LIMIT ?");
  REQUIRE(q.parameters.size() == 3);
  CHECK(q.parameters[0].type == "BIGINT");
  CHECK(q.parameters[0].json_value == "1442016000000");
  CHECK(q.parameters[1].json_value == "1442102399999");
  CHECK(q.parameters[2].type == "INTEGER");
  CHECK(q.parameters[2].json_value == "1000");

  q = read_query(wiki(), TimeRange{-5, 7, false}, 10);
  CHECK(q.sql.find("\"__time\" < MILLIS_TO_TIMESTAMP(?) ORDER BY") != std::string::npos);
  CHECK(q.parameters[0].json_value == "-5");
}

TEST_CASE("a whole tie group is read by equality, without ORDER BY or LIMIT") {
  DruidQuery q = read_query(wiki(), TimeRange{1700000000123, 1700000000123, true}, 0);
  CHECK(q.sql == "SELECT \"__time\", \"page\", \"added\" FROM \"wiki\" WHERE \"__time\" = MILLIS_TO_TIMESTAMP(?)");
  REQUIRE(q.parameters.size() == 1);
  CHECK(q.parameters[0].json_value == "1700000000123");

  q = read_query(wiki(), TimeRange{1, 9, true}, 0);
  CHECK(q.sql.find("ORDER BY") == std::string::npos);
  CHECK(q.sql.find("LIMIT") == std::string::npos);
  CHECK(q.parameters.size() == 2);
}

TEST_CASE("discovery and bounds queries") {
  DruidQuery c = columns_query("wi'ki");
  CHECK(c.sql ==
        "SELECT \"COLUMN_NAME\", \"DATA_TYPE\" FROM INFORMATION_SCHEMA.COLUMNS WHERE \"TABLE_SCHEMA\" = 'druid' AND "
        "\"TABLE_NAME\" = ? ORDER BY \"ORDINAL_POSITION\"");
  REQUIRE(c.parameters.size() == 1);
  CHECK(c.parameters[0].type == "VARCHAR");
  CHECK(c.parameters[0].json_value == "\"wi'ki\"");
  CHECK(typed_header_query("wiki", {"__time", "a\"b"}).sql == "SELECT \"__time\", \"a\"\"b\" FROM \"wiki\" LIMIT 0");
  CHECK(bounds_query(wiki()).sql ==
        "SELECT TIMESTAMP_TO_MILLIS(MIN(\"__time\")) AS \"min_ms\", TIMESTAMP_TO_MILLIS(MAX(\"__time\")) AS "
        "\"max_ms\", COUNT(*) AS \"row_count\" FROM \"wiki\"");
}

TEST_CASE("the request body asks for arrayLines with every header row, UTC, an id and a timeout") {
  DruidQuery q = read_query(wiki(), TimeRange{1, 2, true}, 5);
  CHECK(request_body(q, "tsyncd-1", 27000) ==
        "{\"query\":\"SELECT \\\"__time\\\", \\\"page\\\", \\\"added\\\" FROM \\\"wiki\\\" WHERE \\\"__time\\\" >= "
        "MILLIS_TO_TIMESTAMP(?) AND \\\"__time\\\" <= MILLIS_TO_TIMESTAMP(?) ORDER BY \\\"__time\\\" LIMIT ?\","
        "\"resultFormat\":\"arrayLines\",\"header\":true,\"typesHeader\":true,\"sqlTypesHeader\":true,"
        "\"context\":{\"sqlTimeZone\":\"UTC\",\"sqlQueryId\":\"tsyncd-1\",\"timeout\":27000},"
        "\"parameters\":[{\"type\":\"BIGINT\",\"value\":1},{\"type\":\"BIGINT\",\"value\":2},"
        "{\"type\":\"INTEGER\",\"value\":5}]}");
  CHECK(request_body(bounds_query(wiki()), "x", 1).find("parameters") == std::string::npos);
}

TEST_CASE("Druid types map onto tsyncd types") {
  CHECK(column_type("TIMESTAMP", "LONG") == ColumnType::timestamp_ms);
  CHECK(column_type("VARCHAR", "STRING") == ColumnType::text);
  CHECK(column_type("BIGINT", "LONG") == ColumnType::int64);
  CHECK(column_type("BIGINT", "") == ColumnType::int64);
  CHECK(column_type("FLOAT", "FLOAT") == ColumnType::float32);
  CHECK(column_type("FLOAT", "") == ColumnType::float32);
  CHECK(column_type("DOUBLE", "DOUBLE") == ColumnType::float64);
  CHECK(column_type("REAL", "DOUBLE") == ColumnType::float64);  // fixture 069: REAL is held as a double
  CHECK(column_type("ARRAY", "ARRAY<LONG>") == ColumnType::json);
  CHECK(column_type("ARRAY", "") == ColumnType::json);
  CHECK(column_type("COMPLEX<json>", "") == ColumnType::json);  // INFORMATION_SCHEMA DATA_TYPE
  CHECK(column_type("OTHER", "COMPLEX<json>") == ColumnType::json);
  CHECK(column_type("OTHER", "COMPLEX<HLLSketch>") == ColumnType::text);
  CHECK(column_type("BOOLEAN", "LONG") == ColumnType::boolean);
  CHECK(column_type("INTERVAL_DAY", "") == ColumnType::text);
}

TEST_CASE("recorded arrayLines answers parse exactly") {
  SUBCASE("fixture 014: NULL, empty string, escapes") {
    auto rec = load_recording("druid-36.0.0-014-post--druid-v2-sql.json");
    ArrayLinesBody b = open_ok(rec.response_body);
    CHECK(b.header().names == std::vector<std::string>{"id", "s"});
    CHECK(b.header().native_types == std::vector<std::string>{"LONG", "STRING"});
    CHECK(b.header().sql_types == std::vector<std::string>{"BIGINT", "VARCHAR"});
    auto rows = rows_ok(b, types_of(b.header()), std::nullopt);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].values == std::vector<Value>{int64_t{3}, Value()});
    CHECK(rows[1].values == std::vector<Value>{int64_t{2}, std::string()});
    CHECK(rows[2].values == std::vector<Value>{int64_t{1}, std::string("\xC3\xA9'\"\\ x")});
  }
  SUBCASE("fixture 060: the header rows alone") {
    auto rec = load_recording("druid-36.0.0-060-post--druid-v2-sql.json");
    ArrayLinesBody b = open_ok(rec.response_body);
    CHECK(b.row_count() == 0);
    CHECK(rows_ok(b, types_of(b.header()), std::nullopt).empty());
  }
  SUBCASE("fixture 092: 400 rows") {
    auto rec = load_recording("druid-36.0.0-092-post--druid-v2-sql.json");
    ArrayLinesBody b = open_ok(rec.response_body);
    auto rows = rows_ok(b, types_of(b.header()), std::nullopt);
    REQUIRE(rows.size() == 400);
    for (size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].values[0] == Value(static_cast<int64_t>(i + 1)));
  }
}

TEST_CASE("a body cut while streaming is never parsed") {
  // 099/100: a query failed after 397 rows; 010 and 098 are `array` bodies, never complete lines.
  for (const char* file : {"druid-36.0.0-099-post--druid-v2-sql.json", "druid-36.0.0-100-post--druid-v2-sql.json",
                           "druid-36.0.0-098-post--druid-v2-sql.json", "druid-36.0.0-010-post--druid-v2-sql.json"}) {
    CAPTURE(file);
    auto b = ArrayLinesBody::open(load_recording(file).response_body);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().kind == ErrorKind::protocol);
    CHECK(b.error().message.find("incomplete") != std::string::npos);
  }
  // Cut right after a complete row line, or before the header rows are all there.
  CHECK_FALSE(ArrayLinesBody::open(kHeader3 + "[\"2024-01-01T00:00:00.000Z\",1.5]\n").ok());
  CHECK_FALSE(ArrayLinesBody::open("[\"__time\"]\n[\"LONG\"]\n\n").ok());
  CHECK_FALSE(ArrayLinesBody::open("\n\n").ok());
  CHECK_FALSE(ArrayLinesBody::open("").ok());
}

TEST_CASE("every Druid type converts exactly (fixtures 065 and 066 as lines)") {
  for (const char* file : {"druid-36.0.0-065-post--druid-v2-sql.json", "druid-36.0.0-066-post--druid-v2-sql.json"}) {
    CAPTURE(file);
    ArrayLinesBody b = open_ok(array_to_lines(load_recording(file).response_body));
    auto types = types_of(b.header());
    CHECK(types == std::vector<ColumnType>{ColumnType::timestamp_ms, ColumnType::int64, ColumnType::text,
                                           ColumnType::int64, ColumnType::float32, ColumnType::float64,
                                           ColumnType::json, ColumnType::json, ColumnType::json, ColumnType::json,
                                           ColumnType::text, ColumnType::int64});
    auto rows = rows_ok(b, types, 0);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].ts == 0);
    CHECK(rows[0].values[0] == Value(std::string("1970-01-01T00:00:00.000Z")));
    for (size_t i = 2; i < 12; ++i) CHECK(is_null(rows[0].values[i]));
    CHECK(rows[1].ts == 1790812800000);
    CHECK(rows[1].values[3] == Value(std::numeric_limits<int64_t>::min()));
    CHECK(rows[1].values[4] == Value(-1.5));
    CHECK(rows[1].values[5] == Value(-0.1));
    CHECK(rows[1].values[6] == Value(std::string("[]")));
    CHECK(rows[1].values[10] == Value(std::string("z")));
    CHECK(rows[1].values[11] == Value(int64_t{0}));
    const Row& r = rows[2];
    CHECK(r.ts == 1790858096789);
    CHECK(r.values[2] == Value(std::string("\xC3\xA9'\"\\ x")));
    CHECK(r.values[3] == Value(std::numeric_limits<int64_t>::max()));
    CHECK(r.values[4] == Value(static_cast<double>(3.4e38f)));
    CHECK(r.values[5] == Value(DBL_MAX));
    CHECK(r.values[6] == Value(std::string("{\"k\":[1,\"two\",null,{\"n\":1.5}]}")));
    // Stringified (065) or real (066) arrays: the same JSON text either way.
    CHECK(r.values[7] == Value(std::string("[\"a\",null,\"c\"]")));
    CHECK(r.values[8] == Value(std::string("[-9223372036854775808,9223372036854775807]")));
    CHECK(r.values[9] == Value(std::string("[0.1,1.5E300]")));
    CHECK(r.values[10] == Value(std::string("[\"x\",\"y\"]")));
  }
}

TEST_CASE("NaN and the infinities arrive as strings and are numbers (fixture 072)") {
  ArrayLinesBody b = open_ok(array_to_lines(load_recording("druid-36.0.0-072-post--druid-v2-sql.json").response_body));
  auto rows = rows_ok(b, types_of(b.header()), std::nullopt);
  REQUIRE(rows.size() == 1);
  CHECK(std::get<double>(rows[0].values[0]) == std::numeric_limits<double>::infinity());
  CHECK(std::get<double>(rows[0].values[1]) == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(std::get<double>(rows[0].values[2])));
}

TEST_CASE("timestamps before 1970, after 2100 and at Druid's extremes are exact") {
  auto time_of = [](const std::string& iso) {
    ArrayLinesBody b = open_ok("[\"__time\"]\n[\"LONG\"]\n[\"TIMESTAMP\"]\n[\"" + iso + "\"]\n\n");
    auto rows = rows_ok(b, {ColumnType::timestamp_ms}, 0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].values[0] == Value(iso));  // the text is kept as sent
    return rows[0].ts;
  };
  CHECK(time_of("1900-01-01T00:00:00.000Z") == -2208988800000);  // fixture 079
  CHECK(time_of("0001-01-01T00:00:00.000Z") == -62135596800000);
  CHECK(time_of("1969-12-31T23:59:59.999Z") == -1);
  CHECK(time_of("2200-01-01T00:00:00.001Z") == 7258118400001);
  CHECK(time_of("-292275055-05-16T16:47:04.192Z") == std::numeric_limits<int64_t>::min());
  CHECK(time_of("292278994-08-17T07:12:55.807Z") == std::numeric_limits<int64_t>::max());
}

TEST_CASE("values are converted from their exact text") {
  ArrayLinesBody b = open_ok(
      "[\"f\",\"d\",\"i\",\"b\",\"t\"]\n[\"FLOAT\",\"DOUBLE\",\"LONG\",\"LONG\",\"STRING\"]\n"
      "[\"FLOAT\",\"DOUBLE\",\"BIGINT\",\"BOOLEAN\",\"VARCHAR\"]\n"
      "[0.1,0.1,9007199254740993,true,\"line\\nbreak \\u00e9 \\ud83d\\ude00\"]\n"
      "[1.4E-45,4.9E-324,-1,false,\"\"]\n\n");
  auto rows = rows_ok(b, types_of(b.header()), std::nullopt);
  REQUIRE(rows.size() == 2);
  CHECK(std::get<double>(rows[0].values[0]) == static_cast<double>(0.1f));
  CHECK(std::get<double>(rows[0].values[0]) != 0.1);
  CHECK(std::get<double>(rows[0].values[1]) == 0.1);
  CHECK(rows[0].values[2] == Value(int64_t{9007199254740993}));
  CHECK(rows[0].values[3] == Value(int64_t{1}));
  CHECK(rows[0].values[4] == Value(std::string("line\nbreak \xC3\xA9 \xF0\x9F\x98\x80")));
  CHECK(std::get<double>(rows[1].values[0]) == static_cast<double>(std::numeric_limits<float>::denorm_min()));
  CHECK(std::get<double>(rows[1].values[1]) == std::numeric_limits<double>::denorm_min());
  CHECK(rows[1].values[3] == Value(int64_t{0}));
}

TEST_CASE("malformed rows fail the whole answer") {
  auto fails = [](const std::string& rows, ColumnType time_type = ColumnType::timestamp_ms) {
    auto b = ArrayLinesBody::open(kHeader3 + rows + "\n");
    if (!b) return b.error().kind == ErrorKind::protocol;
    auto r = b->rows({time_type, ColumnType::float64}, 0);
    return !r.ok() && r.error().kind == ErrorKind::protocol;
  };
  CHECK_FALSE(fails("[\"2024-01-01T00:00:00.000Z\",1.5]\n"));
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\"]\n"));                // too few values
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\",1,2]\n"));            // too many
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\",1],[2]\n"));          // trailing bytes
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\",1]\n\n[\"2024-01-01T00:00:00.000Z\",1]\n"));  // blank line inside
  CHECK(fails("[\"2024-01-01T07:00:00.000+07:00\",1]\n"));         // not UTC
  CHECK(fails("[\"2024-01-01 00:00:00\",1]\n"));                   // not ISO
  CHECK(fails("[1704067200000,1]\n"));                              // millis, not text
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\",\"1.5\"]\n"));        // a number as text
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\",1.5e999]\n"));        // out of range
  CHECK(fails("{\"__time\":\"2024-01-01T00:00:00.000Z\",\"v\":1}\n"));  // an object line
  CHECK(fails("[\"2024-01-01T00:00:00.000Z\",1\n"));               // broken JSON
  // Unbalanced brackets, after a longer line whose bytes remain in the parser's buffer.
  auto unbalanced = ArrayLinesBody::open(
      kHeader3 + "[\"2024-01-01T00:00:00.000Z\",[1,2,3,4,5,6,7,8,9,10,11,12,13]]]]]]]]]\n[\"2024-01-01T00:00:00.000Z\",[1]\n\n");
  REQUIRE(unbalanced.ok());
  CHECK_FALSE(unbalanced->rows({ColumnType::timestamp_ms, ColumnType::json}, 0).ok());
  auto nested = ArrayLinesBody::open(kHeader3 + "[\"2024-01-01T00:00:00.000Z\",[1,[2]]]\n\n");
  REQUIRE(nested.ok());
  CHECK(nested->rows({ColumnType::timestamp_ms, ColumnType::json}, 0).value()[0].values[1] == Value(std::string("[1,[2]]")));
  // An integer column holding a fraction.
  auto b = ArrayLinesBody::open("[\"n\"]\n[\"LONG\"]\n[\"BIGINT\"]\n[1.5]\n\n");
  REQUIRE(b.ok());
  CHECK_FALSE(b->rows({ColumnType::int64}, std::nullopt).ok());
}

TEST_CASE("X-Druid-Response-Context flags partial answers") {
  CHECK(check_response_context("").ok());
  CHECK(check_response_context("{}").ok());
  CHECK(check_response_context("{\"missingSegments\":[]}").ok());
  auto missing = check_response_context(
      "{\"missingSegments\":[{\"itvl\":\"2026-10-01T00:00:00.000Z/2026-10-02T00:00:00.000Z\",\"ver\":\"v1\",\"part\":0}]}");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::protocol);
  CHECK(missing.error().message.find("missingSegments") != std::string::npos);
  CHECK_FALSE(check_response_context("{\"truncated\":true}").ok());
  CHECK_FALSE(check_response_context("{\"missingSeg").ok());
}

namespace {

HttpOptions http_options() {
  HttpOptions h;
  h.host = "localhost";
  h.port = 8888;
  h.username = "reader";
  h.password = "s3cret";
  h.what = "druid connector 'events' at localhost:8888";
  return h;
}

Failure classify(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  Failure f = classify_failure(http_options(), r, "wiki");
  CHECK(f.error.message.find("s3cret") == std::string::npos);
  return f;
}

Failure classify_recording(const std::string& file) {
  auto rec = load_recording(file);
  return classify(rec.status, rec.response_body);
}

}  // namespace

TEST_CASE("Druid errors are classified by status and category") {
  SUBCASE("unknown datasource (fixture 096): not_found naming it") {
    Failure f = classify_recording("druid-36.0.0-096-post--druid-v2-sql.json");
    CHECK(f.error.kind == ErrorKind::not_found);
    CHECK(f.error.message.find("datasource 'wiki'") != std::string::npos);
    CHECK(f.error.message.find("Object 'dbimp_none' not found") != std::string::npos);
  }
  SUBCASE("other 400s are query errors with Druid's message (fixtures 095, 081)") {
    Failure f = classify_recording("druid-36.0.0-095-post--druid-v2-sql.json");
    CHECK(f.error.kind == ErrorKind::query);
    CHECK(f.error.message.find("Non-query expression encountered in illegal context") != std::string::npos);
    CHECK(classify_recording("druid-36.0.0-081-post--druid-v2-sql.json").error.kind == ErrorKind::query);
  }
  SUBCASE("timeouts, capacity and runtime failures are transient (fixtures 102, 097, 104)") {
    for (const char* file : {"druid-36.0.0-102-post--druid-v2-sql.json", "druid-36.0.0-097-post--druid-v2-sql.json",
                             "druid-37.0.0-097-post--druid-v2-sql.json", "druid-36.0.0-104-post--druid-v2-sql.json",
                             "druid-36.0.0-076-post--druid-v2-sql.json"}) {
      CAPTURE(file);
      Failure f = classify_recording(file);
      CHECK(f.error.kind == ErrorKind::transient);
      CHECK_FALSE(f.maybe_user_error);
    }
    Failure f = classify(429,
                         "{\"error\":\"Query capacity exceeded\",\"errorClass\":\"org.apache.druid.query."
                         "QueryCapacityExceededException\",\"host\":null,\"errorCode\":\"legacyQueryException\","
                         "\"persona\":\"OPERATOR\",\"category\":\"CAPACITY_EXCEEDED\",\"errorMessage\":\"Too many "
                         "concurrent queries\",\"context\":{}}",
                         {{"Retry-After", "3"}});
    CHECK(f.error.kind == ErrorKind::transient);
    CHECK(f.error.retry_after == std::chrono::seconds(3));
    CHECK(classify(502, "<html><title>Error 502 Bad Gateway</title></html>").error.kind == ErrorKind::transient);
    CHECK(classify(503, "").error.kind == ErrorKind::transient);
  }
  SUBCASE("500 UNCATEGORIZED may be the query's own fault (E17)") {
    Failure f = classify(500,
                         "{\"error\":\"druidException\",\"errorCode\":\"general\",\"persona\":\"ADMIN\",\"category\":"
                         "\"UNCATEGORIZED\",\"errorMessage\":\"/ by zero\",\"context\":{}}");
    CHECK(f.error.kind == ErrorKind::transient);
    CHECK(f.maybe_user_error);
    CHECK(f.error.message.find("/ by zero") != std::string::npos);
  }
  SUBCASE("401 and 403 fail the connector, naming the user and not the page (fixtures 107, 221)") {
    Failure f = classify_recording("druid-36.0.0-107-post--druid-v2-sql.json");
    CHECK(f.error.kind == ErrorKind::auth);
    CHECK(f.error.message.find("'events'") != std::string::npos);
    CHECK(f.error.message.find("'reader'") != std::string::npos);
    CHECK(f.error.message.find("User authentication failed.") != std::string::npos);
    CHECK(f.error.message.find("<html") == std::string::npos);
    f = classify_recording("druid-36.0.0-221-post--druid-v2-sql.json");
    CHECK(f.error.kind == ErrorKind::auth);
    CHECK(f.error.message.find("'reader'") != std::string::npos);
    CHECK(f.error.message.find("datasource 'wiki'") != std::string::npos);
  }
  SUBCASE("501, resource limits and Content-Type rejections are query errors") {
    CHECK(classify_recording("druid-36.0.0-077-post--druid-v2-sql.json").error.kind == ErrorKind::query);
    Failure f = classify(400,
                         "{\"error\":\"Resource limit exceeded\",\"errorClass\":\"org.apache.druid.query."
                         "ResourceLimitExceededException\",\"host\":null,\"errorCode\":\"legacyQueryException\","
                         "\"persona\":\"OPERATOR\",\"category\":\"INVALID_INPUT\",\"errorMessage\":\"Time ordering "
                         "is not supported\",\"context\":{}}");
    CHECK(f.error.kind == ErrorKind::query);
    CHECK(f.error.message.find("resource limit") != std::string::npos);
    f = classify_recording("druid-36.0.0-017-post--druid-v2-sql.json");
    CHECK(f.error.kind == ErrorKind::query);
    CHECK(f.error.message.find("Content-Type") != std::string::npos);
    f = classify(415, "{\"error\":\"Unknown exception\",\"errorMessage\":\"Unsupported Content-Type: "
                      "application/json; charset=UTF-8.\",\"errorClass\":null,\"host\":null}");
    CHECK(f.error.kind == ErrorKind::query);
    CHECK(f.error.message.find("Content-Type") != std::string::npos);
    CHECK(classify(404, "").error.kind == ErrorKind::query);
  }
}

// A fake QuestDB for tsyncd's tests and benchmarks: a real loopback HTTP server that answers
// `GET /exec` the way QuestDB 9.3.5 does, byte for byte (framing, headers, JSON layout, value
// rendering, errors; see shared/apis/questdb.md), over tables held in memory.
//
// Why a fake and not a real QuestDB: tests must run without a JVM, must be able to break the server
// on purpose (status codes, cut bodies, broken framing, stalls) and must mutate data at exact
// moments while the daemon reads. The fake is checked against recorded real responses
// (conformance_test.cpp), so what it does not know it refuses with a 400 instead of guessing.
//
// SQL understood: the shapes tsyncd sends (table_columns('t'); SELECT min("c"), max("c"), count()
// FROM "t"; SELECT <columns> FROM "t" WHERE "c" >= '<lo>' AND "c" <= '<hi>' ORDER BY "c" LIMIT n,
// with base64("c", N) "c", length("c") "c__len" for BINARY columns), plus what the recorded
// fixtures use: unquoted names, SELECT *, aliases, LIMIT n / a,b / negative forms, WHERE with
// = < <= > >= BETWEEN IN on any comparable column (AND only), ORDER BY one column ASC/DESC (free
// for the designated timestamp; any other is a stable sort, NULLs first), SHOW COLUMNS FROM t,
// constant SELECTs like `select 1 x`.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/core.h"

namespace tsyncd::fakes {

// An N-dimensional array of doubles (QuestDB DOUBLE[], DOUBLE[][]). NaN elements render as null.
struct DoubleArray {
  std::vector<size_t> shape;   // {3} for [1,2,3]; {2,1} for [[1],[2]]; {0} for []
  std::vector<double> values;  // row-major; as many as the product of shape
};

// A typed value as a test writes it. The fake converts it to the column's type on insert (with
// the same NULL sentinels as QuestDB: INT min, IPv4 0.0.0.0, CHAR NUL...) and renders it the way
// QuestDB renders that type; cells are never pre-rendered JSON.
class Cell {
 public:
  enum class Kind { null, boolean, integer, float64, float32, text, bytes, array };

  Cell() = default;  // NULL
  Cell(std::nullptr_t) {}
  Cell(bool v) : v_(v) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Cell(T v) : v_(static_cast<int64_t>(v)) {}
  Cell(double v) : v_(v) {}
  Cell(float v) : v_(v) {}
  Cell(const char* v) : v_(std::string(v)) {}
  Cell(std::string v) : v_(std::move(v)) {}
  Cell(std::string_view v) : v_(std::string(v)) {}

  // BINARY contents.
  static Cell bytes(std::string raw);
  static Cell array(DoubleArray value);
  static Cell array(std::vector<double> values);  // one dimension

  Kind kind() const;
  bool is_null() const { return kind() == Kind::null; }
  bool boolean() const { return std::get<bool>(v_); }
  int64_t integer() const { return std::get<int64_t>(v_); }
  double float64() const { return std::get<double>(v_); }
  float float32() const { return std::get<float>(v_); }
  const std::string& text() const;  // text or bytes
  const DoubleArray& array_value() const { return *std::get<std::shared_ptr<const DoubleArray>>(v_); }

 private:
  struct Bytes {
    std::string raw;
  };
  std::variant<std::monostate, bool, int64_t, double, float, std::string, Bytes,
               std::shared_ptr<const DoubleArray>>
      v_;
};

using CellRow = std::vector<Cell>;

struct ColumnSpec {
  std::string name;
  // QuestDB's type name: BOOLEAN BYTE SHORT CHAR INT LONG DATE TIMESTAMP TIMESTAMP_NS FLOAT DOUBLE
  // STRING VARCHAR SYMBOL LONG256 GEOHASH(<n>b|c) UUID IPv4 BINARY DOUBLE[] DOUBLE[][] DECIMAL(p,s)
  // LONG128 (case-insensitive; IPV4 is accepted).
  std::string type;
  bool upsert_key = false;  // listed in DEDUP UPSERT KEYS(...)
  bool indexed = false;     // SYMBOL ... INDEX
};

struct TableSpec {
  std::string name;
  std::vector<ColumnSpec> columns;
  std::string designated_timestamp;  // column name; empty: the table has none
};

// A failure the fake produces on purpose for the next `times` matching /exec requests.
struct Fault {
  enum class Kind {
    status,         // answer `status` with a QuestDB-style JSON error body; 429 adds Retry-After
    close,          // close the connection without answering
    reset,          // reset the connection (RST) without answering
    truncate,       // send the head and `after_bytes` bytes of the body, then close
    broken_header,  // like F:530: an unterminated 200 head, then a complete 400 response
    broken_body,    // like F:531: after `after_bytes` body bytes a raw 400 response replaces the chunk's CRLF
    delay,          // wait `delay` (before the response, or after `after_bytes` body bytes), then go on
  };

  Kind kind = Kind::status;
  int status = 500;
  std::string message;                  // error text of status/broken_* faults (a default when empty)
  size_t position = 0;                  // the error body's "position"
  std::chrono::seconds retry_after{0};  // status 429: sent as Retry-After when positive
  size_t after_bytes = 0;               // truncate, broken_body, delay
  std::chrono::milliseconds delay{0};   // delay
  std::string sql_contains;             // only requests whose SQL contains this; empty: all /exec requests
  int times = 1;                        // how many matching requests it applies to

  static Fault http_status(int status, std::string message = {});
  static Fault too_many_requests(std::chrono::seconds retry_after);
  static Fault close_connection();
  static Fault reset_connection();
  static Fault truncate_after(size_t body_bytes);
  static Fault broken_framing_in_header();
  static Fault broken_framing_after(size_t body_bytes);
  static Fault stall(std::chrono::milliseconds delay, size_t after_body_bytes = 0);

  Fault& matching(std::string sql_substring) &;
  Fault&& matching(std::string sql_substring) &&;
  Fault& repeat(int n) &;
  Fault&& repeat(int n) &&;
};

// One request as the fake received it, for tests that assert what the daemon sent.
struct LoggedRequest {
  std::string method;
  std::string target;         // as sent, still percent-encoded
  std::string sql;            // the decoded `query` parameter; empty when absent
  std::string authorization;  // the Authorization header as sent; empty when absent
  bool faulted = false;       // an armed fault handled this request
};

struct FakeQuestDbOptions {
  int port = 0;  // 0: any free loopback port
  std::string user, password;  // non-empty user: HTTP Basic authentication is required
};

// Thread-safe: tests may change tables, credentials and faults while clients are reading. A
// response is produced under a read lock, so it sees one consistent state (like a QuestDB reader
// pinned to a transaction) and writers wait until it has been sent.
class FakeQuestDb {
 public:
  explicit FakeQuestDb(FakeQuestDbOptions options = {});
  ~FakeQuestDb();
  FakeQuestDb(const FakeQuestDb&) = delete;
  FakeQuestDb& operator=(const FakeQuestDb&) = delete;

  int port() const;

  Status create_table(const TableSpec& spec);
  Status drop_table(std::string_view table);
  // Adds a column at the end; existing rows hold NULL in it.
  Status add_column(std::string_view table, const ColumnSpec& column);
  // Inserts rows, one cell per column in table order. Rows stay ordered by the designated
  // timestamp and a row whose timestamp already exists goes after that tie group (questdb.md §5);
  // tables without one keep insertion order. With upsert keys, a row whose timestamp and keys
  // match an existing row replaces it in place. An invalid cell rejects the whole batch.
  Status insert(std::string_view table, const std::vector<CellRow>& rows);
  // Deletes the rows with lo <= ts < hi (designated timestamp, in its native unit).
  Result<size_t> delete_range(std::string_view table, int64_t lo, int64_t hi);
  // Sets `column` to `value` in the rows with lo <= ts < hi.
  Result<size_t> update_range(std::string_view table, int64_t lo, int64_t hi, std::string_view column,
                              const Cell& value);
  Result<size_t> row_count(std::string_view table) const;

  // A non-empty user turns HTTP Basic authentication on; an empty one turns it off.
  void set_credentials(std::string user, std::string password);

  void arm(Fault fault);
  void clear_faults();
  // Requests that armed faults will still handle.
  int pending_faults() const;

  // Called for every request before it is answered, on the connection's thread, without any lock
  // held (the hook may change tables: the answer then sees the change).
  void on_request(std::function<void(const LoggedRequest&)> hook);
  std::vector<LoggedRequest> requests() const;
  void clear_requests();
  // Requests answered (or deliberately not answered) so far.
  size_t requests_served() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsyncd::fakes

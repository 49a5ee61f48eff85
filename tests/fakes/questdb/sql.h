// The fake's SQL: a parser for the few statement shapes it answers (see fake_questdb.h), producing
// errors the way QuestDB words them where the fixtures show how (position = offset of the token).
// Anything else is rejected with "fake QuestDB does not support ...": a test must never pass
// because the fake guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tsyncd::fakes::qdb {

struct SqlError {
  std::string message;
  size_t position = 0;  // byte offset into the SQL text
};

struct Literal {
  enum class Kind { string, integer, real, boolean };
  Kind kind = Kind::integer;
  std::string text;  // the string's value, or the number as written
  int64_t integer = 0;
  double real = 0;
  bool boolean = false;
  size_t position = 0;
};

struct SelectItem {
  enum class Kind { star, column, min, max, count, base64, length, constant };
  Kind kind = Kind::column;
  std::string column;  // the column argument (column, min, max, base64, length)
  size_t column_position = 0;
  int64_t number = 0;  // base64's length cap, or the constant
  std::string text;    // the expression as QuestDB names an unaliased result column
  std::string alias;   // empty: none
};

struct Predicate {
  enum class Op { eq, lt, le, gt, ge, between, in };
  std::string column;
  size_t column_position = 0;
  Op op = Op::eq;
  std::vector<Literal> values;  // 1, 2 for between, n for in
};

struct Limit {
  int64_t lo = 0;
  std::optional<int64_t> hi;  // LIMIT lo, hi
};

struct SelectQuery {
  std::vector<SelectItem> items;
  bool has_from = false;
  std::string table;
  size_t table_position = 0;
  std::vector<Predicate> where;  // AND-ed
  std::optional<std::string> order_by;
  size_t order_position = 0;
  bool descending = false;
  std::optional<Limit> limit;
};

// table_columns('t') and SHOW COLUMNS FROM t.
struct ColumnsQuery {
  std::string table;
  size_t table_position = 0;
};

using Statement = std::variant<SelectQuery, ColumnsQuery>;

std::variant<Statement, SqlError> parse_sql(const std::string& sql);

}  // namespace tsyncd::fakes::qdb

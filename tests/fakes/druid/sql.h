// sql: the fake Druid's reader for the small part of Druid SQL that tsyncd and the recorded
// fixtures use. It is deliberately not a general SQL parser: it accepts
//
//   SELECT item, ... [FROM table] [WHERE a AND b ...] [ORDER BY expr [ASC|DESC]] [LIMIT n] [OFFSET m]
//
// where an item is `*`, a column, an integer literal, `?`, or a function call (MIN, MAX, COUNT(*),
// TIMESTAMP_TO_MILLIS, MILLIS_TO_TIMESTAMP), optionally with `[AS] alias`, and each condition is a
// comparison (= <> != < <= > >=) of such terms or `TIMESTAMP 'yyyy-MM-dd HH:mm:ss'` literals.
// Identifiers are case-sensitive, double-quoted ones may contain "" for a quote. Anything else is
// reported with what Druid would say where that is known, or as the fake's own limitation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tsyncd::fakes::druid_sql {

// 1-based positions as Druid reports them in error contexts.
struct Span {
  int line = 1, column = 1;
  int end_line = 1, end_column = 1;
};

struct Expr {
  enum class Kind {
    column,             // text: the identifier (unqualified)
    integer,            // integer
    decimal,            // text: the literal
    string,             // text: the unquoted string
    timestamp_literal,  // text: the literal's string
    param,              // param: 0-based position of the '?'
    call,               // text: upper-cased function name, args; COUNT(*) has one arg of kind star
    star,
    compare,            // text: operator; args: left, right
    conjunction,        // args: the conditions joined by AND
  };
  Kind kind = Kind::column;
  std::string text;
  int64_t integer = 0;
  int param = 0;
  std::vector<Expr> args;
  Span span;
};

struct SelectItem {
  Expr expr;
  std::string alias;  // empty: none given
};

struct Select {
  std::vector<SelectItem> items;  // empty when the list is `*`
  bool star = false;
  std::string schema;  // "" (druid), "druid", "INFORMATION_SCHEMA", "sys", ...
  std::string table;  // empty: no FROM (`SELECT 1`)
  Span table_span;
  std::optional<Expr> where;
  std::optional<Expr> order_by;
  bool descending = false;
  std::optional<Expr> limit;   // integer or param
  std::optional<Expr> offset;  // integer or param
  int param_count = 0;
};

struct ParseError {
  enum class Kind {
    syntax,              // Druid: 400 "Incorrect syntax near ..." (text approximated)
    non_query,           // Druid: 400 "Non-query expression encountered in illegal context"
    insert,              // Druid: 400 "INSERT operations are not supported by requested SQL engine ..."
    unsupported_statement,  // Druid: 400 "Unsupported SQL statement [UPDATE]"
    offset_before_limit,    // Druid: 400 E18
    fake_limitation,        // valid Druid SQL that this fake does not implement
  };
  Kind kind = Kind::syntax;
  std::string message;
  Span span;
};

std::variant<Select, ParseError> parse_select(std::string_view sql);

}  // namespace tsyncd::fakes::druid_sql

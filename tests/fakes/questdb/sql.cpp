#include "fakes/questdb/sql.h"

#include <charconv>
#include <string_view>

namespace tsyncd::fakes::qdb {
namespace {

struct Token {
  enum class Kind { ident, quoted, string, number, punct, end };
  Kind kind = Kind::end;
  std::string text;  // identifier as written, unquoted name, unescaped string, number, operator
  size_t pos = 0;
};

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

bool ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool ident_char(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

SqlError unsupported(std::string what, size_t pos) {
  return {"fake QuestDB does not support " + what, pos};
}

std::variant<std::vector<Token>, SqlError> tokenize(const std::string& sql) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (ident_start(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < sql.size() && ident_char(static_cast<unsigned char>(sql[j]))) ++j;
      t.kind = Token::Kind::ident;
      t.text = sql.substr(i, j - i);
      i = j;
    } else if (c == '"') {
      size_t end = sql.find('"', i + 1);
      if (end == std::string::npos) return unsupported("an unterminated quoted name", i);
      t.kind = Token::Kind::quoted;
      t.text = sql.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '\'') {
      t.kind = Token::Kind::string;
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= sql.size()) return unsupported("an unterminated string literal", i);
        if (sql[j] != '\'') {
          t.text += sql[j];
        } else if (j + 1 < sql.size() && sql[j + 1] == '\'') {
          t.text += '\'';
          ++j;
        } else {
          break;
        }
      }
      i = j + 1;
    } else if (digit(c)) {
      size_t j = i;
      while (j < sql.size() && (digit(sql[j]) || sql[j] == '.')) ++j;
      if (j < sql.size() && (sql[j] == 'e' || sql[j] == 'E')) {
        ++j;
        if (j < sql.size() && (sql[j] == '+' || sql[j] == '-')) ++j;
        while (j < sql.size() && digit(sql[j])) ++j;
      }
      if (j < sql.size() && ident_char(static_cast<unsigned char>(sql[j])))
        return unsupported("the number literal '" + sql.substr(i, j - i + 1) + "...'", i);
      t.kind = Token::Kind::number;
      t.text = sql.substr(i, j - i);
      i = j;
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "!=", "<>", "::"};
      t.kind = Token::Kind::punct;
      t.text = std::string(1, c);
      for (auto two : kTwo)
        if (sql.compare(i, 2, two) == 0) t.text = std::string(two);
      if (t.text.size() == 1 && std::string_view("(),;*=<>+-/.%").find(c) == std::string_view::npos)
        return unsupported("the character '" + t.text + "'", i);
      i += t.text.size();
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = sql.size();
  out.push_back(end);
  return out;
}

constexpr std::string_view kKeywords[] = {
    "select", "from", "where", "order", "by", "limit", "group", "sample", "latest", "join", "union",
    "as", "and", "or", "not", "asc", "desc", "on", "offset", "having", "in", "between", "like",
    "cross", "left", "inner", "outer", "asof", "splice", "except", "intersect", "with", "fill", "align",
};

bool is_keyword(std::string_view word) {
  for (auto k : kKeywords)
    if (ieq(word, k)) return true;
  return false;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  std::variant<Statement, SqlError> statement() {
    try {
      if (is_word("table_columns") && peek(1).text == "(") return columns_function();
      if (is_word("show")) return show_columns();
      if (is_word("select")) return select();
      throw unsupported("this statement: only SELECT, table_columns() and SHOW COLUMNS are answered", cur().pos);
    } catch (const SqlError& e) {
      return e;
    }
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t ahead) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  bool is_word(std::string_view w) const { return cur().kind == Token::Kind::ident && ieq(cur().text, w); }
  bool is_punct(std::string_view p) const { return cur().kind == Token::Kind::punct && cur().text == p; }
  bool at_end() const { return cur().kind == Token::Kind::end; }
  void next() {
    if (!at_end()) ++i_;
  }
  void expect_word(std::string_view w) {
    if (!is_word(w)) throw unsupported("this statement: '" + std::string(w) + "' expected", cur().pos);
    next();
  }
  void expect_punct(std::string_view p) {
    if (!is_punct(p)) throw unsupported("this statement: '" + std::string(p) + "' expected", cur().pos);
    next();
  }

  // The end of a statement: an optional ';' and nothing after it.
  void finish() {
    if (is_punct(";")) next();
    if (!at_end()) throw SqlError{"unexpected token [" + cur().text + "]", cur().pos};
  }

  bool is_name() const {
    return cur().kind == Token::Kind::quoted || (cur().kind == Token::Kind::ident && !is_keyword(cur().text));
  }

  std::string table_name(size_t& pos) {
    pos = cur().pos;
    if (cur().kind != Token::Kind::string && !is_name())
      throw unsupported("this FROM clause: a table name expected", cur().pos);
    std::string name = cur().text;
    next();
    if (is_punct("(")) throw unsupported("table functions such as " + name + "()", pos);
    if (is_punct(".")) throw unsupported("qualified names", cur().pos);
    if (is_name()) throw unsupported("table aliases", cur().pos);
    return name;
  }

  Statement columns_function() {
    next();
    expect_punct("(");
    if (cur().kind != Token::Kind::string) throw unsupported("table_columns() without a quoted table name", cur().pos);
    ColumnsQuery q{cur().text, cur().pos};
    next();
    expect_punct(")");
    finish();
    return q;
  }

  Statement show_columns() {
    next();
    expect_word("columns");
    expect_word("from");
    ColumnsQuery q;
    q.table = table_name(q.table_position);
    finish();
    return q;
  }

  Statement select() {
    next();
    SelectQuery q;
    if (is_word("from")) throw SqlError{"column expression expected", cur().pos};
    for (;;) {
      q.items.push_back(item());
      if (!is_punct(",")) break;
      next();
    }
    if (is_word("from")) {
      next();
      q.has_from = true;
      q.table = table_name(q.table_position);
      if (is_word("where")) {
        next();
        for (;;) {
          q.where.push_back(predicate());
          if (!is_word("and")) break;
          next();
        }
        if (is_word("or")) throw unsupported("OR", cur().pos);
      }
      if (is_word("order")) {
        next();
        expect_word("by");
        q.order_position = cur().pos;
        if (!is_name()) throw unsupported("ORDER BY an expression", cur().pos);
        q.order_by = cur().text;
        next();
        if (is_word("desc") || is_word("asc")) {
          q.descending = is_word("desc");
          next();
        }
        if (is_punct(",")) throw unsupported("ORDER BY several columns", cur().pos);
      }
    }
    if (is_word("limit")) {
      next();
      Limit l;
      l.lo = signed_integer();
      if (is_punct(",")) {
        next();
        l.hi = signed_integer();
      }
      q.limit = l;
    }
    for (auto clause : {"group", "sample", "latest", "join", "cross", "union", "asof", "splice"})
      if (is_word(clause)) throw unsupported(cur().text, cur().pos);
    finish();
    return q;
  }

  int64_t signed_integer() {
    bool negative = false;
    size_t pos = cur().pos;
    if (is_punct("-")) {
      negative = true;
      next();
    }
    if (cur().kind != Token::Kind::number) throw unsupported("this LIMIT: integers expected", pos);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(cur().text.data(), cur().text.data() + cur().text.size(), v);
    if (ec != std::errc() || p != cur().text.data() + cur().text.size())
      throw unsupported("this LIMIT: integers expected", pos);
    next();
    return negative ? -v : v;
  }

  SelectItem item() {
    SelectItem it;
    size_t pos = cur().pos;
    if (is_punct("*")) {
      next();
      it.kind = SelectItem::Kind::star;
      return it;
    }
    if (cur().kind == Token::Kind::number || (is_punct("-") && peek(1).kind == Token::Kind::number)) {
      it.kind = SelectItem::Kind::constant;
      Literal l = literal("");
      if (l.kind != Literal::Kind::integer) throw unsupported("non-integer constants", pos);
      it.number = l.integer;
      it.text = l.text;
    } else if (cur().kind == Token::Kind::ident && peek(1).text == "(") {
      function(it);
    } else if (is_name()) {
      it.kind = SelectItem::Kind::column;
      it.column = cur().text;
      it.column_position = pos;
      it.text = cur().text;
      next();
    } else if (cur().kind == Token::Kind::ident) {
      throw SqlError{"column expression expected", pos};
    } else {
      throw unsupported("this select expression", pos);
    }
    if (is_word("as")) {
      next();
      if (!is_name()) throw unsupported("this alias", cur().pos);
      it.alias = cur().text;
      next();
    } else if (is_name()) {
      it.alias = cur().text;
      next();
    }
    if (!is_punct(",") && !is_word("from") && !is_punct(";") && !at_end() && !is_word("limit"))
      throw unsupported("expressions in the select list", cur().pos);
    return it;
  }

  void function(SelectItem& it) {
    std::string name = cur().text;
    size_t pos = cur().pos;
    next();
    next();  // '('
    auto column_arg = [&] {
      if (!is_name()) throw unsupported(name + "() of an expression", cur().pos);
      it.column = cur().text;
      it.column_position = cur().pos;
      next();
    };
    if (ieq(name, "count")) {
      it.kind = SelectItem::Kind::count;
      if (!is_punct(")")) throw unsupported("count() with an argument", cur().pos);
      it.text = "count()";
    } else if (ieq(name, "min") || ieq(name, "max")) {
      it.kind = ieq(name, "min") ? SelectItem::Kind::min : SelectItem::Kind::max;
      column_arg();
      it.text = lower(name) + "(" + it.column + ")";
    } else if (ieq(name, "length")) {
      it.kind = SelectItem::Kind::length;
      column_arg();
      it.text = "length(" + it.column + ")";
    } else if (ieq(name, "base64")) {
      it.kind = SelectItem::Kind::base64;
      column_arg();
      expect_punct(",");
      Literal l = literal("");
      if (l.kind != Literal::Kind::integer || l.integer <= 0) throw unsupported("this base64() length", l.position);
      it.number = l.integer;
      it.text = "base64(" + it.column + ", " + l.text + ")";
    } else {
      throw unsupported("the function " + name + "()", pos);
    }
    expect_punct(")");
  }

  static std::string lower(std::string s) {
    for (char& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
  }

  Predicate predicate() {
    Predicate p;
    p.column_position = cur().pos;
    if (!is_name()) throw unsupported("this WHERE condition: a column name first", cur().pos);
    p.column = cur().text;
    next();
    std::string op = cur().text;
    size_t op_pos = cur().pos;
    if (cur().kind == Token::Kind::punct && (op == "=" || op == "<" || op == "<=" || op == ">" || op == ">=")) {
      next();
      p.op = op == "=" ? Predicate::Op::eq : op == "<" ? Predicate::Op::lt : op == "<=" ? Predicate::Op::le
           : op == ">" ? Predicate::Op::gt : Predicate::Op::ge;
      p.values.push_back(literal(op, op_pos));
    } else if (is_word("between")) {
      next();
      p.op = Predicate::Op::between;
      p.values.push_back(literal(op, op_pos));
      expect_word("and");
      p.values.push_back(literal(op, op_pos));
    } else if (is_word("in")) {
      next();
      p.op = Predicate::Op::in;
      if (!is_punct("(")) throw unsupported("IN without a list", cur().pos);
      next();
      for (;;) {
        p.values.push_back(literal(op, op_pos));
        if (!is_punct(",")) break;
        next();
      }
      expect_punct(")");
    } else {
      throw unsupported("this WHERE condition", op_pos);
    }
    return p;
  }

  // A literal operand of `op` (for QuestDB's "too few arguments" error).
  Literal literal(const std::string& op, size_t op_pos = 0) {
    Literal l;
    l.position = cur().pos;
    if (at_end() || is_punct(";") || (cur().kind == Token::Kind::ident && is_keyword(cur().text))) {
      if (!op.empty()) throw SqlError{"too few arguments for '" + op + "' [found=1,expected=2]", op_pos};
      throw unsupported("this statement: a value expected", cur().pos);
    }
    if (cur().kind == Token::Kind::string) {
      l.kind = Literal::Kind::string;
      l.text = cur().text;
      next();
      return l;
    }
    if (is_word("true") || is_word("false")) {
      l.kind = Literal::Kind::boolean;
      l.boolean = is_word("true");
      l.text = cur().text;
      next();
      return l;
    }
    bool negative = false;
    if (is_punct("-")) {
      negative = true;
      next();
    }
    if (cur().kind != Token::Kind::number) throw unsupported("this value", l.position);
    const std::string& s = cur().text;
    l.text = (negative ? "-" : "") + s;
    if (s.find_first_of(".eE") == std::string::npos) {
      l.kind = Literal::Kind::integer;
      auto [p, ec] = std::from_chars(l.text.data(), l.text.data() + l.text.size(), l.integer);
      if (ec != std::errc() || p != l.text.data() + l.text.size()) throw unsupported("this integer", l.position);
    } else {
      l.kind = Literal::Kind::real;
      auto [p, ec] = std::from_chars(l.text.data(), l.text.data() + l.text.size(), l.real);
      if (ec != std::errc() || p != l.text.data() + l.text.size()) throw unsupported("this number", l.position);
    }
    next();
    return l;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

}  // namespace

std::variant<Statement, SqlError> parse_sql(const std::string& sql) {
  auto tokens = tokenize(sql);
  if (auto* e = std::get_if<SqlError>(&tokens)) return *e;
  return Parser(std::move(std::get<std::vector<Token>>(tokens))).statement();
}

}  // namespace tsyncd::fakes::qdb

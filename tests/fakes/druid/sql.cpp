#include "fakes/druid/sql.h"

#include <cctype>
#include <charconv>

namespace tsyncd::fakes::druid_sql {
namespace {

struct Token {
  enum class Kind { word, quoted, string, number, symbol, end };
  Kind kind = Kind::end;
  std::string text;  // identifier / unquoted string / number / symbol
  Span span;
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Words that end an expression or a select item, so they can never be an alias without AS.
bool is_clause_keyword(std::string_view w) {
  for (std::string_view k : {"FROM", "WHERE", "ORDER", "GROUP", "LIMIT", "OFFSET", "AND", "OR", "ASC", "DESC",
                             "HAVING", "UNION", "FETCH", "BY"})
    if (iequals(w, k)) return true;
  return false;
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  // Tokenizes everything; false (with `error`) on an unterminated literal.
  bool run(std::vector<Token>& out, ParseError& error) {
    while (true) {
      skip_space();
      Token t;
      t.span.line = line_;
      t.span.column = column_;
      if (pos_ >= sql_.size()) {
        t.kind = Token::Kind::end;
        t.span.end_line = line_;
        t.span.end_column = column_;
        out.push_back(t);
        return true;
      }
      const char c = sql_[pos_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
        t.kind = Token::Kind::word;
        while (pos_ < sql_.size() && (std::isalnum(static_cast<unsigned char>(sql_[pos_])) || sql_[pos_] == '_' ||
                                      sql_[pos_] == '$'))
          t.text += advance();
      } else if (c == '"' || c == '\'') {
        t.kind = c == '"' ? Token::Kind::quoted : Token::Kind::string;
        advance();
        bool closed = false;
        while (pos_ < sql_.size()) {
          char d = advance();
          if (d == c) {
            if (pos_ < sql_.size() && sql_[pos_] == c) {
              t.text += advance();
              continue;
            }
            closed = true;
            break;
          }
          t.text += d;
        }
        if (!closed) {
          error = ParseError{ParseError::Kind::syntax, "Lexical error: unterminated literal", t.span};
          return false;
        }
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && pos_ + 1 < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[pos_ + 1])))) {
        t.kind = Token::Kind::number;
        while (pos_ < sql_.size() && (std::isdigit(static_cast<unsigned char>(sql_[pos_])) || sql_[pos_] == '.'))
          t.text += advance();
        if (pos_ < sql_.size() && (sql_[pos_] == 'e' || sql_[pos_] == 'E')) {
          t.text += advance();
          if (pos_ < sql_.size() && (sql_[pos_] == '+' || sql_[pos_] == '-')) t.text += advance();
          while (pos_ < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[pos_]))) t.text += advance();
        }
      } else {
        t.kind = Token::Kind::symbol;
        t.text += advance();
        if (pos_ < sql_.size()) {
          std::string two = t.text + sql_[pos_];
          if (two == "<=" || two == ">=" || two == "<>" || two == "!=") t.text += advance();
        }
      }
      t.span.end_line = last_line_;
      t.span.end_column = last_column_;
      out.push_back(std::move(t));
    }
  }

 private:
  char advance() {
    char c = sql_[pos_++];
    last_line_ = line_;
    last_column_ = column_;
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    return c;
  }
  void skip_space() {
    while (pos_ < sql_.size()) {
      if (std::isspace(static_cast<unsigned char>(sql_[pos_]))) {
        advance();
      } else if (sql_.substr(pos_, 2) == "--") {
        while (pos_ < sql_.size() && sql_[pos_] != '\n') advance();
      } else {
        break;
      }
    }
  }

  std::string_view sql_;
  size_t pos_ = 0;
  int line_ = 1, column_ = 1;
  int last_line_ = 1, last_column_ = 1;
};

// Thrown inside the parser only; parse_select turns it into a ParseError.
struct Failure {
  ParseError error;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Select statement() {
    const Token& first = peek();
    if (first.kind != Token::Kind::word) syntax_error(first);
    if (iequals(first.text, "INSERT") || iequals(first.text, "REPLACE"))
      fail(ParseError::Kind::insert,
           upper(first.text) + " operations are not supported by requested SQL engine [native], consider using MSQ.",
           first.span);
    if (iequals(first.text, "UPDATE") || iequals(first.text, "DELETE"))
      fail(ParseError::Kind::unsupported_statement, "Unsupported SQL statement [" + upper(first.text) + "]",
           first.span);
    if (iequals(first.text, "SET") || iequals(first.text, "WITH") || iequals(first.text, "EXPLAIN"))
      fail(ParseError::Kind::fake_limitation, "the fake Druid does not support " + upper(first.text), first.span);
    if (!iequals(first.text, "SELECT"))
      fail(ParseError::Kind::non_query, "Non-query expression encountered in illegal context", first.span);
    next();

    Select s;
    if (peek_symbol("*")) {
      next();
      s.star = true;
    } else {
      do {
        SelectItem item;
        item.expr = term();
        if (peek_word("AS")) {
          next();
          item.alias = identifier();
        } else if ((peek().kind == Token::Kind::word && !is_clause_keyword(peek().text)) ||
                   peek().kind == Token::Kind::quoted) {
          item.alias = identifier();
        }
        s.items.push_back(std::move(item));
      } while (accept_symbol(","));
    }
    if (accept_word("FROM")) {
      s.table_span = peek().span;
      s.table = identifier();
      if (accept_symbol(".")) {
        s.schema = s.table;
        Span second = peek().span;
        s.table = identifier();
        s.table_span.end_line = second.end_line;
        s.table_span.end_column = second.end_column;
      }
    } else if (s.star) {
      syntax_error(peek());
    }
    if (accept_word("WHERE")) s.where = condition();
    if (peek_word("GROUP") || peek_word("HAVING") || peek_word("UNION") || peek_word("JOIN") ||
        peek_word("CROSS") || peek_word("INNER") || peek_word("LEFT"))
      fail(ParseError::Kind::fake_limitation, "the fake Druid does not support " + upper(peek().text), peek().span);
    if (accept_word("ORDER")) {
      expect_word("BY");
      s.order_by = term();
      if (accept_word("DESC")) s.descending = true;
      else accept_word("ASC");
      if (peek_symbol(","))
        fail(ParseError::Kind::fake_limitation, "the fake Druid orders by one expression only", peek().span);
    }
    if (peek_word("OFFSET")) {
      size_t save = at_;
      next();
      term();
      if (peek_word("LIMIT"))
        fail(ParseError::Kind::offset_before_limit,
             "'OFFSET start LIMIT count' is not allowed under the current SQL conformance level", tokens_[save].span);
      at_ = save;
    }
    if (accept_word("LIMIT")) s.limit = term();
    if (accept_word("OFFSET")) s.offset = term();
    accept_symbol(";");
    if (peek().kind != Token::Kind::end) {
      if (peek().kind == Token::Kind::word && iequals(peek().text, "SELECT"))
        fail(ParseError::Kind::fake_limitation, "the fake Druid runs one statement per request", peek().span);
      syntax_error(peek());
    }
    s.param_count = params_;
    return s;
  }

 private:
  const Token& peek() const { return tokens_[at_]; }
  const Token& next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }
  bool peek_word(std::string_view w) const { return peek().kind == Token::Kind::word && iequals(peek().text, w); }
  bool peek_symbol(std::string_view s) const { return peek().kind == Token::Kind::symbol && peek().text == s; }
  bool accept_word(std::string_view w) {
    if (!peek_word(w)) return false;
    next();
    return true;
  }
  bool accept_symbol(std::string_view s) {
    if (!peek_symbol(s)) return false;
    next();
    return true;
  }
  void expect_word(std::string_view w) {
    if (!accept_word(w)) syntax_error(peek());
  }
  void expect_symbol(std::string_view s) {
    if (!accept_symbol(s)) syntax_error(peek());
  }

  [[noreturn]] void fail(ParseError::Kind kind, std::string message, Span span) {
    throw Failure{ParseError{kind, std::move(message), span}};
  }
  [[noreturn]] void syntax_error(const Token& t) {
    std::string what = t.kind == Token::Kind::end ? "<EOF>" : t.text;
    fail(ParseError::Kind::syntax,
         "Incorrect syntax near '" + what + "' at line " + std::to_string(t.span.line) + ", column " +
             std::to_string(t.span.column),
         t.span);
  }

  std::string identifier() {
    const Token& t = peek();
    if (t.kind == Token::Kind::quoted || (t.kind == Token::Kind::word && !is_clause_keyword(t.text))) {
      next();
      return t.text;
    }
    syntax_error(t);
  }

  Expr condition() {
    Expr first = comparison();
    if (!peek_word("AND")) {
      if (peek_word("OR") || peek_word("NOT") || peek_word("IN") || peek_word("BETWEEN") || peek_word("IS") ||
          peek_word("LIKE"))
        fail(ParseError::Kind::fake_limitation, "the fake Druid does not support " + upper(peek().text),
             peek().span);
      return first;
    }
    Expr all;
    all.kind = Expr::Kind::conjunction;
    all.span = first.span;
    all.args.push_back(std::move(first));
    while (accept_word("AND")) all.args.push_back(comparison());
    if (peek_word("OR"))
      fail(ParseError::Kind::fake_limitation, "the fake Druid does not support OR", peek().span);
    return all;
  }

  Expr comparison() {
    Expr left = term();
    const Token& op = peek();
    if (op.kind != Token::Kind::symbol) return left;
    for (std::string_view o : {"=", "<>", "!=", "<", "<=", ">", ">="}) {
      if (op.text == o) {
        next();
        Expr cmp;
        cmp.kind = Expr::Kind::compare;
        cmp.text = o == "!=" ? "<>" : std::string(o);
        cmp.span = left.span;
        cmp.args.push_back(std::move(left));
        cmp.args.push_back(term());
        return cmp;
      }
    }
    return left;
  }

  Expr term() {
    const Token& t = peek();
    Expr e;
    e.span = t.span;
    if (t.kind == Token::Kind::symbol && t.text == "(") {
      next();
      Expr inner = condition();
      expect_symbol(")");
      return inner;
    }
    if (t.kind == Token::Kind::symbol && t.text == "-" && tokens_[at_ + 1].kind == Token::Kind::number) {
      next();
      Expr n = term();
      if (n.kind == Expr::Kind::integer) n.integer = -n.integer;
      n.text = "-" + n.text;
      n.span = e.span;
      return n;
    }
    if (t.kind == Token::Kind::symbol && t.text == "?") {
      next();
      e.kind = Expr::Kind::param;
      e.param = params_++;
      return e;
    }
    if (t.kind == Token::Kind::number) {
      next();
      e.text = t.text;
      int64_t v = 0;
      auto res = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
      if (res.ec == std::errc() && res.ptr == t.text.data() + t.text.size()) {
        e.kind = Expr::Kind::integer;
        e.integer = v;
      } else {
        e.kind = Expr::Kind::decimal;
      }
      return e;
    }
    if (t.kind == Token::Kind::string) {
      next();
      e.kind = Expr::Kind::string;
      e.text = t.text;
      return e;
    }
    if (t.kind == Token::Kind::word && iequals(t.text, "TIMESTAMP") &&
        tokens_[at_ + 1].kind == Token::Kind::string) {
      next();
      e.kind = Expr::Kind::timestamp_literal;
      e.text = next().text;
      return e;
    }
    if (t.kind == Token::Kind::word && (iequals(t.text, "CAST") || iequals(t.text, "CASE")))
      fail(ParseError::Kind::fake_limitation, "the fake Druid does not support " + upper(t.text), t.span);
    if ((t.kind == Token::Kind::word && !is_clause_keyword(t.text)) || t.kind == Token::Kind::quoted) {
      next();
      if (t.kind == Token::Kind::word && peek_symbol("(")) {
        next();
        e.kind = Expr::Kind::call;
        e.text = upper(t.text);
        if (!peek_symbol(")")) {
          do {
            if (peek_symbol("*")) {
              Expr star;
              star.kind = Expr::Kind::star;
              star.span = peek().span;
              next();
              e.args.push_back(star);
            } else {
              e.args.push_back(term());
            }
          } while (accept_symbol(","));
        }
        e.span.end_line = peek().span.end_line;
        e.span.end_column = peek().span.end_column;
        expect_symbol(")");
        return e;
      }
      e.kind = Expr::Kind::column;
      e.text = t.text;
      if (peek_symbol(".") && (tokens_[at_ + 1].kind == Token::Kind::word || tokens_[at_ + 1].kind == Token::Kind::quoted)) {
        next();
        e.span = peek().span;
        e.text = identifier();
      }
      if (peek_symbol("/") || peek_symbol("+") || peek_symbol("*"))
        fail(ParseError::Kind::fake_limitation, "the fake Druid does not support arithmetic", peek().span);
      return e;
    }
    syntax_error(t);
  }

  std::vector<Token> tokens_;
  size_t at_ = 0;
  int params_ = 0;
};

}  // namespace

std::variant<Select, ParseError> parse_select(std::string_view sql) {
  std::vector<Token> tokens;
  ParseError error;
  if (!Lexer(sql).run(tokens, error)) return error;
  try {
    return Parser(std::move(tokens)).statement();
  } catch (const Failure& f) {
    return f.error;
  }
}

}  // namespace tsyncd::fakes::druid_sql

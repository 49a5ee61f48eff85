#include "fakes/druid/engine.h"

#include <algorithm>
#include <random>

#include "fakes/druid/sql.h"

namespace tsyncd::fakes::druid_detail {
namespace {

using druid_sql::Expr;
using druid_sql::ParseError;
using druid_sql::Select;
using druid_sql::Span;

constexpr int64_t kMillisPerDay = 86400000;
constexpr int64_t kMaxRowsQueuedForOrdering = 100000;
constexpr int kMaxSegmentPartitionsOrderedInMemory = 50;

// Planning stops at the first problem with the answer Druid gives for it.
struct Reject {
  Answer answer;
};

[[noreturn]] void reject(int status, std::string body, bool query_ids = true, bool header_included = true) {
  Answer a;
  a.status = status;
  a.body = std::move(body);
  a.query_ids = query_ids;
  a.header_included = header_included;
  throw Reject{std::move(a)};
}

[[noreturn]] void reject_invalid_input(std::string message, std::string context = "{\"sourceType\":\"sql\"}") {
  reject(400, druid_exception("invalidInput", "USER", "INVALID_INPUT", message, context));
}

// Valid Druid SQL this fake does not implement: said plainly, never disguised as a Druid answer.
[[noreturn]] void reject_unsupported(const std::string& what) {
  reject(400, druid_exception("general", "USER", "INVALID_INPUT", "[fake Druid] not supported: " + what));
}

std::string at_position(const Span& s) {
  return " (line [" + std::to_string(s.line) + "], column [" + std::to_string(s.column) + "])";
}

std::string thousands(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const size_t start = digits[0] == '-' ? 1 : 0;
  out = digits.substr(0, start);
  for (size_t i = start; i < digits.size(); ++i) {
    if (i > start && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// ---- the table a query reads ----

struct Table {
  std::vector<DruidColumn> columns;
  bool has_time = false;  // columns[0] is __time, held in DruidRow::time
  bool is_datasource = false;
  const std::vector<DruidRow>* stored = nullptr;  // a datasource's rows
  std::vector<DruidRow> owned;                     // otherwise: the rows of a system table

  const std::vector<DruidRow>& all_rows() const { return stored ? *stored : owned; }

  std::optional<size_t> find(const std::string& name) const {
    for (size_t i = 0; i < columns.size(); ++i)
      if (columns[i].name == name) return i;
    return std::nullopt;
  }
  bool is_time(size_t column) const { return has_time && column == 0; }
};

const Value kNull;

const Value& stored_value(const Table& t, const DruidRow& row, size_t column) {
  const size_t i = column - (t.has_time ? 1 : 0);
  return i < row.values.size() ? row.values[i] : kNull;
}

DruidColumn text_column(std::string name) { return DruidColumn::varchar(std::move(name)); }

Table information_schema(const Catalog& catalog, const std::string& user, const std::string& name,
                         const Span& span) {
  Table t;
  auto readable = [&](const std::string& ds, const Datasource& d) {
    return d.available && d.listed && !catalog.denied.count({user, ds});
  };
  if (name == "TABLES") {
    for (const char* c : {"TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "IS_JOINABLE", "IS_BROADCAST"})
      t.columns.push_back(text_column(c));
    for (const auto& [ds, d] : catalog.datasources)
      if (readable(ds, d))
        t.owned.push_back(DruidRow{0, {std::string("druid"), std::string("druid"), ds, std::string("TABLE"),
                                       std::string("NO"), std::string("NO")}});
  } else if (name == "COLUMNS") {
    for (const char* c : {"TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME"})
      t.columns.push_back(text_column(c));
    t.columns.push_back(DruidColumn::bigint("ORDINAL_POSITION"));
    t.columns.push_back(text_column("IS_NULLABLE"));
    t.columns.push_back(text_column("DATA_TYPE"));
    t.columns.push_back(DruidColumn::bigint("JDBC_TYPE"));
    for (const auto& [ds, d] : catalog.datasources) {
      if (!readable(ds, d)) continue;
      for (size_t i = 0; i < d.columns.size(); ++i) {
        const DruidColumn& c = d.columns[i];
        int64_t jdbc = 1111;  // OTHER
        if (c.sql_type == "TIMESTAMP") jdbc = 93;
        else if (c.sql_type == "VARCHAR") jdbc = 12;
        else if (c.sql_type == "BIGINT") jdbc = -5;
        else if (c.sql_type == "FLOAT") jdbc = 6;
        else if (c.sql_type == "DOUBLE") jdbc = 8;
        else if (c.sql_type == "ARRAY") jdbc = 2003;
        t.owned.push_back(DruidRow{0, {std::string("druid"), std::string("druid"), ds, c.name,
                                       static_cast<int64_t>(i + 1), std::string(i == 0 ? "NO" : "YES"),
                                       c.data_type, jdbc}});
      }
    }
  } else {
    reject_invalid_input("Object '" + name + "' not found within 'INFORMATION_SCHEMA'" + at_position(span),
                         position_context(span.line, span.column, span.end_line, span.end_column));
  }
  return t;
}

// sys.segments: the active segments of every datasource the user may read. Rows the user may not
// see are left out rather than refused, as Druid filters this table by datasource permission.
// Metadata outlives serving: an unavailable datasource keeps its segments, unavailable.
Table sys_segments(const Catalog& catalog, const std::string& user) {
  Table t;
  for (const char* c : {"segment_id", "datasource", "start", "end"}) t.columns.push_back(text_column(c));
  t.columns.push_back(DruidColumn::bigint("size"));
  t.columns.push_back(text_column("version"));
  for (const char* c : {"partition_num", "num_replicas", "num_rows", "is_active", "is_published", "is_available",
                        "is_realtime", "is_overshadowed"})
    t.columns.push_back(DruidColumn::bigint(c));
  const int64_t g = catalog.segment_granularity_ms;
  auto by_time = [](const DruidRow& r, int64_t time) { return r.time < time; };
  for (const auto& [ds, d] : catalog.datasources) {
    if (catalog.denied.count({user, ds})) continue;
    for (const auto& [start, chunk] : d.chunks) {
      auto first = std::lower_bound(d.rows.begin(), d.rows.end(), start, by_time);
      const int64_t end = chunk_end(start, g);
      const int64_t rows = std::lower_bound(first, d.rows.end(), end, by_time) - first;
      const std::string from = format_iso_time(start, TimeUnit::ms), to = format_iso_time(end, TimeUnit::ms);
      const std::string id = ds + "_" + from + "_" + to + "_" + chunk.version;
      for (int64_t p = 0; p < chunk.partitions; ++p) {
        // An even split; partition 0 takes the remainder, so the chunk's rows add up.
        const int64_t n = rows / chunk.partitions + (p == 0 ? rows % chunk.partitions : 0);
        t.owned.push_back(DruidRow{0, {p == 0 ? id : id + "_" + std::to_string(p), ds, from, to, 100 * n + 1000,
                                       chunk.version, p, int64_t{1}, n, int64_t{1}, int64_t{1},
                                       int64_t{d.available ? 1 : 0}, int64_t{0}, int64_t{0}}});
      }
    }
  }
  return t;
}

Table resolve_table(const Catalog& catalog, const QuerySpec& spec, const Select& s) {
  const Span& span = s.table_span;
  if (s.table.empty()) {  // SELECT without FROM: one row of nothing
    Table t;
    t.owned.push_back(DruidRow{});
    return t;
  }
  if (s.schema == "INFORMATION_SCHEMA") return information_schema(catalog, spec.user, s.table, span);
  if (s.schema == "sys" && s.table == "segments") return sys_segments(catalog, spec.user);
  if (s.schema == "sys") reject_unsupported("the sys table " + s.table);
  if (s.schema == "lookup" || s.schema == "view") reject_unsupported("the " + s.schema + " schema");
  auto it = catalog.datasources.find(s.table);
  if ((!s.schema.empty() && s.schema != "druid") || it == catalog.datasources.end() || !it->second.available)
    reject_invalid_input("Object '" + s.table + "' not found" + at_position(span),
                         position_context(span.line, span.column, span.end_line, span.end_column));
  if (catalog.denied.count({spec.user, s.table}))
    reject(403, "{\"Access-Check-Result\":\"Unauthorized\"}", false, false);
  Table t;
  t.columns = it->second.columns;
  t.has_time = true;
  t.is_datasource = true;
  t.stored = &it->second.rows;
  return t;
}

// ---- values during evaluation ----

struct Scalar {
  enum class Kind { null, integer, number, string };
  Kind kind = Kind::null;
  int64_t integer = 0;
  double number = 0;
  std::string text;
};

Scalar scalar_of(const Value& v) {
  Scalar s;
  if (const int64_t* i = std::get_if<int64_t>(&v)) {
    s.kind = Scalar::Kind::integer;
    s.integer = *i;
  } else if (const double* d = std::get_if<double>(&v)) {
    s.kind = Scalar::Kind::number;
    s.number = *d;
  } else if (const std::string* t = std::get_if<std::string>(&v)) {
    s.kind = Scalar::Kind::string;
    s.text = *t;
  }
  return s;
}

// <0, 0, >0; nullopt when the two cannot be compared (a NULL, or text against a number).
std::optional<int> compare(const Scalar& a, const Scalar& b) {
  using K = Scalar::Kind;
  if (a.kind == K::null || b.kind == K::null) return std::nullopt;
  if (a.kind == K::string || b.kind == K::string) {
    if (a.kind != b.kind) return std::nullopt;
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }
  if (a.kind == K::integer && b.kind == K::integer) return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
  const double x = a.kind == K::integer ? static_cast<double>(a.integer) : a.number;
  const double y = b.kind == K::integer ? static_cast<double>(b.integer) : b.number;
  return x < y ? -1 : x > y ? 1 : 0;
}

bool holds(const std::string& op, int c) {
  if (op == "=") return c == 0;
  if (op == "<>") return c != 0;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

// "yyyy-MM-dd HH:mm:ss[.SSS]" or "yyyy-MM-dd" (Calcite's literal and parameter forms) to millis.
std::optional<int64_t> parse_sql_time(std::string text) {
  if (text.size() == 10) text += " 00:00:00";
  if (text.size() < 19 || text[10] != ' ') return std::nullopt;
  text[10] = 'T';
  auto r = parse_iso_time(text + "Z", TimeUnit::ms);
  if (!r) return std::nullopt;
  return *r;
}

class Planner {
 public:
  Planner(const QuerySpec& spec, const Table& table) : spec_(spec), table_(table) {}

  size_t column(const Expr& e) const {
    auto idx = table_.find(e.text);
    if (!idx)
      reject_invalid_input("Column '" + e.text + "' not found in any table" + at_position(e.span),
                           position_context(e.span.line, e.span.column, e.span.end_line, e.span.end_column));
    return *idx;
  }

  Scalar parameter(int index) const {
    const Parameter& p = spec_.parameters[static_cast<size_t>(index)];
    using J = Parameter::Json;
    Scalar s;
    if (p.json == J::null) return s;
    const std::string& t = p.type;
    if (t == "BIGINT" || t == "INTEGER" || t == "SMALLINT" || t == "TINYINT") {
      if (p.json != J::integer)
        reject(500, druid_exception("general", "OPERATOR", "RUNTIME_FAILURE", "Cannot handle query"), false, false);
      s.kind = Scalar::Kind::integer;
      s.integer = p.integer;
    } else if (t == "DOUBLE" || t == "FLOAT" || t == "REAL" || t == "DECIMAL") {
      s.kind = Scalar::Kind::number;
      s.number = p.json == J::integer ? static_cast<double>(p.integer) : p.number;
    } else if (t == "VARCHAR" || t == "CHAR") {
      s.kind = Scalar::Kind::string;
      s.text = p.json == J::string ? p.text : std::to_string(p.integer);
    } else if (t == "TIMESTAMP" || t == "DATE") {
      s.kind = Scalar::Kind::integer;
      if (p.json == J::integer && t == "TIMESTAMP") {
        s.integer = p.integer;
      } else if (p.json == J::string) {
        std::optional<int64_t> ms = parse_sql_time(p.text);
        if (!ms && t == "TIMESTAMP") {
          auto iso = parse_iso_time(p.text, TimeUnit::ms);
          if (iso) ms = *iso;
        }
        if (!ms) reject_unsupported("a " + t + " parameter written as " + p.text);
        s.integer = *ms;
      } else {
        reject(500, druid_exception("general", "OPERATOR", "RUNTIME_FAILURE", "Cannot handle query"), false, false);
      }
    } else if (t == "BOOLEAN") {
      s.kind = Scalar::Kind::integer;
      s.integer = p.boolean ? 1 : 0;
    } else {
      reject_unsupported("parameters of type " + t);
    }
    return s;
  }

  // A value that does not depend on the row.
  Scalar constant(const Expr& e) const {
    Scalar s;
    switch (e.kind) {
      case Expr::Kind::integer:
        s.kind = Scalar::Kind::integer;
        s.integer = e.integer;
        return s;
      case Expr::Kind::decimal:
        s.kind = Scalar::Kind::number;
        s.number = std::strtod(e.text.c_str(), nullptr);
        return s;
      case Expr::Kind::string:
        s.kind = Scalar::Kind::string;
        s.text = e.text;
        return s;
      case Expr::Kind::param: return parameter(e.param);
      case Expr::Kind::timestamp_literal: {
        auto ms = parse_sql_time(e.text);
        if (!ms)
          reject_invalid_input("Illegal TIMESTAMP literal '" + e.text + "': not in format 'yyyy-MM-dd HH:mm:ss'" +
                                   at_position(e.span),
                               position_context(e.span.line, e.span.column, e.span.end_line, e.span.end_column));
        s.kind = Scalar::Kind::integer;
        s.integer = *ms;
        return s;
      }
      case Expr::Kind::call:
        if (e.text == "MILLIS_TO_TIMESTAMP" && e.args.size() == 1) return constant(e.args[0]);
        if (e.text == "TIME_PARSE" && e.args.size() == 1) {
          Scalar text = constant(e.args[0]);
          auto ms = parse_iso_time(text.text, TimeUnit::ms);
          if (!ms) return Scalar{};
          s.kind = Scalar::Kind::integer;
          s.integer = *ms;
          return s;
        }
        reject_unsupported("the function " + e.text + " here");
      default: reject_unsupported("this expression in a condition");
    }
  }


 private:
  const QuerySpec& spec_;
  const Table& table_;
};

// One condition of the WHERE conjunction, for the rows the time bounds let through.
struct Predicate {
  std::string op;
  size_t column = 0;
  Scalar value;
};

struct Filter {
  int64_t lo = std::numeric_limits<int64_t>::min();  // __time bounds, inclusive
  int64_t hi = std::numeric_limits<int64_t>::max();
  std::vector<Predicate> rest;
  bool never = false;  // a constant condition that is false

  bool pass(const Table& t, const DruidRow& row) const {
    for (const Predicate& p : rest) {
      auto c = compare(t.is_time(p.column) ? scalar_of(Value(row.time)) : scalar_of(stored_value(t, row, p.column)),
                       p.value);
      if (!c || !holds(p.op, *c)) return false;
    }
    return true;
  }
};

std::string flip(const std::string& op) {
  if (op == "<") return ">";
  if (op == "<=") return ">=";
  if (op == ">") return "<";
  if (op == ">=") return "<=";
  return op;
}

Filter build_filter(const Planner& planner, const Table& table, const std::optional<Expr>& where) {
  Filter f;
  if (!where) return f;
  std::vector<const Expr*> conditions;
  if (where->kind == Expr::Kind::conjunction)
    for (const Expr& e : where->args) conditions.push_back(&e);
  else
    conditions.push_back(&*where);
  for (const Expr* c : conditions) {
    if (c->kind != Expr::Kind::compare) reject_unsupported("a condition that is not a comparison");
    const Expr* l = &c->args[0];
    const Expr* r = &c->args[1];
    std::string op = c->text;
    if (l->kind != Expr::Kind::column && r->kind == Expr::Kind::column) {
      std::swap(l, r);
      op = flip(op);
    }
    if (l->kind != Expr::Kind::column) {
      auto cmp = compare(planner.constant(*l), planner.constant(*r));
      if (!cmp || !holds(op, *cmp)) f.never = true;
      continue;
    }
    if (r->kind == Expr::Kind::column) reject_unsupported("comparing two columns");
    Predicate p{op, planner.column(*l), planner.constant(*r)};
    if (table.is_time(p.column) && p.value.kind == Scalar::Kind::integer) {
      const int64_t v = p.value.integer;
      if (op == "=") f.lo = std::max(f.lo, v), f.hi = std::min(f.hi, v);
      else if (op == ">=") f.lo = std::max(f.lo, v);
      else if (op == ">") f.lo = std::max(f.lo, v == INT64_MAX ? v : v + 1), f.never |= v == INT64_MAX;
      else if (op == "<=") f.hi = std::min(f.hi, v);
      else if (op == "<") f.hi = std::min(f.hi, v == INT64_MIN ? v : v - 1), f.never |= v == INT64_MIN;
      else f.rest.push_back(std::move(p));
      continue;
    }
    f.rest.push_back(std::move(p));
  }
  if (f.lo > f.hi) f.never = true;
  return f;
}

// ---- select list ----

struct Aggregate {
  enum class Kind { min, max, count } kind = Aggregate::Kind::count;
  std::optional<size_t> column;  // none: COUNT(*)
  bool millis = false;           // wrapped in TIMESTAMP_TO_MILLIS
};

struct Item {
  OutputColumn out;
  enum class Source { column, literal, aggregate } source = Source::column;
  size_t column = 0;
  Value literal;
  Aggregate aggregate;
};

OutputColumn output(std::string name, std::string native, std::string sql) {
  OutputColumn o{std::move(name), std::move(native), std::move(sql), CellKind::string};
  o.kind = cell_kind(o.sql_type, o.native_type);
  return o;
}

std::optional<Aggregate> as_aggregate(const Planner& planner, const Expr& e) {
  if (e.kind != Expr::Kind::call) return std::nullopt;
  if (e.text == "TIMESTAMP_TO_MILLIS" && e.args.size() == 1) {
    auto inner = as_aggregate(planner, e.args[0]);
    if (inner) inner->millis = true;
    return inner;
  }
  Aggregate a;
  if (e.text == "COUNT") a.kind = Aggregate::Kind::count;
  else if (e.text == "MIN") a.kind = Aggregate::Kind::min;
  else if (e.text == "MAX") a.kind = Aggregate::Kind::max;
  else return std::nullopt;
  if (e.args.size() != 1) reject_unsupported(e.text + " with " + std::to_string(e.args.size()) + " arguments");
  if (e.args[0].kind == Expr::Kind::star) {
    if (a.kind != Aggregate::Kind::count) reject_unsupported(e.text + "(*)");
  } else if (e.args[0].kind == Expr::Kind::column) {
    a.column = planner.column(e.args[0]);
  } else {
    reject_unsupported("an aggregate of an expression");
  }
  return a;
}

std::vector<Item> plan_items(const Planner& planner, const Table& table, const Select& s) {
  std::vector<Item> items;
  if (s.star) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      Item it;
      it.column = i;
      it.out = output(table.columns[i].name, table.columns[i].native_type, table.columns[i].sql_type);
      items.push_back(std::move(it));
    }
    return items;
  }
  for (size_t n = 0; n < s.items.size(); ++n) {
    const Expr& e = s.items[n].expr;
    const std::string expr_name = "EXPR$" + std::to_string(n);
    const std::string& alias = s.items[n].alias;
    Item it;
    if (e.kind == Expr::Kind::column) {
      it.column = planner.column(e);
      const DruidColumn& c = table.columns[it.column];
      it.out = output(alias.empty() ? c.name : alias, c.native_type, c.sql_type);
    } else if (e.kind == Expr::Kind::integer) {
      it.source = Item::Source::literal;
      it.literal = e.integer;
      it.out = output(alias.empty() ? expr_name : alias, "LONG", "INTEGER");
    } else if (e.kind == Expr::Kind::string) {
      it.source = Item::Source::literal;
      it.literal = e.text;
      it.out = output(alias.empty() ? expr_name : alias, "STRING", "CHAR");
    } else if (auto agg = as_aggregate(planner, e)) {
      it.source = Item::Source::aggregate;
      it.aggregate = *agg;
      std::string native = "LONG", sql = "BIGINT";
      if (agg->column && agg->kind != Aggregate::Kind::count && !agg->millis) {
        native = table.columns[*agg->column].native_type;
        sql = table.columns[*agg->column].sql_type;
      }
      it.out = output(alias.empty() ? expr_name : alias, native, sql);
    } else if (e.kind == Expr::Kind::call && e.text == "TIMESTAMP_TO_MILLIS" && e.args.size() == 1 &&
               e.args[0].kind == Expr::Kind::column && table.is_time(planner.column(e.args[0]))) {
      it.column = 0;
      it.out = output(alias.empty() ? expr_name : alias, "LONG", "BIGINT");
    } else {
      reject_unsupported("this select expression");
    }
    items.push_back(std::move(it));
  }
  const bool any_aggregate =
      std::any_of(items.begin(), items.end(), [](const Item& i) { return i.source == Item::Source::aggregate; });
  const bool any_column =
      std::any_of(items.begin(), items.end(), [](const Item& i) { return i.source == Item::Source::column; });
  if (any_aggregate && any_column) reject_unsupported("columns next to aggregates (GROUP BY)");
  return items;
}

// A LIMIT or OFFSET: an integer literal or an integer parameter; -1 when absent.
int64_t count_value(const Planner& planner, const std::optional<Expr>& e, const char* what) {
  if (!e) return -1;
  if (e->kind != Expr::Kind::integer && e->kind != Expr::Kind::param)
    reject_unsupported(std::string("this ") + what);
  Scalar v = planner.constant(*e);
  if (v.kind != Scalar::Kind::integer || v.integer < 0) reject_unsupported(std::string("this ") + what);
  return v.integer;
}

// The row that aggregates over `rows` produce; nullopt when no row comes back.
std::optional<DruidRow> aggregate_row(const Table& table, const std::vector<Item>& items,
                                      const std::vector<const DruidRow*>& rows, EmptyAggregates empty) {
  if (rows.empty() && empty == EmptyAggregates::no_row) return std::nullopt;
  DruidRow out;
  for (const Item& it : items) {
    if (it.source == Item::Source::literal) {
      out.values.push_back(it.literal);
      continue;
    }
    const Aggregate& a = it.aggregate;
    if (a.kind == Aggregate::Kind::count) {
      int64_t n = 0;
      for (const DruidRow* r : rows)
        if (!a.column || table.is_time(*a.column) || !is_null(stored_value(table, *r, *a.column))) ++n;
      out.values.push_back(n);
      continue;
    }
    const bool is_min = a.kind == Aggregate::Kind::min;
    std::optional<Value> best;
    for (const DruidRow* r : rows) {
      Value v = table.is_time(*a.column) ? Value(r->time) : stored_value(table, *r, *a.column);
      if (is_null(v)) continue;
      if (!best) {
        best = v;
        continue;
      }
      auto c = compare(scalar_of(v), scalar_of(*best));
      if (c && (is_min ? *c < 0 : *c > 0)) best = v;
    }
    if (!best && empty == EmptyAggregates::legacy && table.is_time(*a.column))
      best = Value(is_min ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min());
    out.values.push_back(best ? *best : Value());
  }
  return out;
}

// Rows of a datasource that pass the filter, in scan order. `need` rows are enough when the
// query has a LIMIT, but the tie group at the boundary is always completed so that the shuffle
// below can pick any of its rows, as Druid may.
std::vector<const DruidRow*> scan(const Table& table, const Filter& f, bool descending, size_t need) {
  std::vector<const DruidRow*> picked;
  if (f.never) return picked;
  const auto& rows = table.all_rows();
  auto by_time = [](const DruidRow& r, int64_t t) { return r.time < t; };
  auto begin = std::lower_bound(rows.begin(), rows.end(), f.lo, by_time);
  auto end = std::upper_bound(rows.begin(), rows.end(), f.hi, [](int64_t t, const DruidRow& r) { return t < r.time; });
  auto take = [&](const DruidRow& r) {
    if (!f.pass(table, r)) return true;
    if (picked.size() >= need && r.time != picked.back()->time) return false;
    picked.push_back(&r);
    return true;
  };
  if (!descending) {
    for (auto it = begin; it != end; ++it)
      if (!take(*it)) break;
  } else {
    for (auto it = end; it != begin;)
      if (!take(*--it)) break;
  }
  return picked;
}

void shuffle_ties(std::vector<const DruidRow*>& rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j]->time == rows[i]->time) ++j;
    if (j - i > 1) std::shuffle(rows.begin() + static_cast<std::ptrdiff_t>(i), rows.begin() + static_cast<std::ptrdiff_t>(j), rng);
    i = j;
  }
}

std::string missing_segment_context(int64_t day) {
  return "{\"missingSegments\":[{\"itvl\":\"" + format_iso_time(day * kMillisPerDay, TimeUnit::ms) + "/" +
         format_iso_time((day + 1) * kMillisPerDay, TimeUnit::ms) +
         "\",\"ver\":\"2026-01-01T00:00:00.000Z\",\"part\":0}]}";
}

int64_t day_of(int64_t ms) { return ms >= 0 ? ms / kMillisPerDay : -((-ms + kMillisPerDay - 1) / kMillisPerDay); }

Answer parse_error_answer(const ParseError& e) {
  using K = ParseError::Kind;
  Answer a;
  a.status = 400;
  switch (e.kind) {
    case K::syntax:
    case K::non_query:
    case K::offset_before_limit:
      a.header_included = false;
      a.body = druid_exception("invalidInput", "USER", "INVALID_INPUT", e.message, "{\"sourceType\":\"sql\"}");
      break;
    case K::insert:
    case K::unsupported_statement:
      a.body = druid_exception("invalidInput", "USER", "INVALID_INPUT", e.message, "{\"sourceType\":\"sql\"}");
      break;
    case K::fake_limitation:
      a.body = druid_exception("general", "USER", "INVALID_INPUT", "[fake Druid] " + e.message);
      break;
  }
  return a;
}

Answer execute(const Catalog& catalog, const EngineSettings& settings, const QuerySpec& spec, const Select& s,
               const BodyFaults& faults) {
  if (static_cast<size_t>(s.param_count) > spec.parameters.size())
    reject_invalid_input("No value bound for parameter (position [" + std::to_string(spec.parameters.size() + 1) +
                         "])");
  Table table = resolve_table(catalog, spec, s);
  Planner planner(spec, table);
  std::vector<Item> items = plan_items(planner, table, s);
  Filter filter = build_filter(planner, table, s.where);
  const bool aggregating =
      std::any_of(items.begin(), items.end(), [](const Item& i) { return i.source == Item::Source::aggregate; });

  // ORDER BY: a scan of a datasource can only be ordered by __time.
  std::optional<size_t> order_column;
  if (s.order_by && !aggregating) {
    if (s.order_by->kind != Expr::Kind::column) reject_unsupported("ORDER BY an expression");
    order_column = planner.column(*s.order_by);
    if (table.is_datasource && !table.is_time(*order_column))
      reject(400, druid_exception("general", "ADMIN", "INVALID_INPUT",
                                  "Query could not be planned. A possible reason is [SQL query requires ordering a "
                                  "table by non-time column [[" +
                                      s.order_by->text + "]], which is not supported.]"));
  }
  int64_t limit = count_value(planner, s.limit, "LIMIT");
  const int64_t offset = std::max<int64_t>(0, count_value(planner, s.offset, "OFFSET"));
  if (spec.outer_limit && (limit < 0 || *spec.outer_limit < limit)) limit = *spec.outer_limit;

  if (table.is_datasource && order_column && !aggregating &&
      settings.segments_per_time_chunk > kMaxSegmentPartitionsOrderedInMemory) {
    const int64_t row_limit = limit < 0 ? std::numeric_limits<int64_t>::max() : limit + offset;
    if (row_limit > kMaxRowsQueuedForOrdering)
      reject(400, legacy_exception(
                      "Resource limit exceeded", "org.apache.druid.query.ResourceLimitExceededException",
                      settings.data_server, "INVALID_INPUT",
                      "Time ordering is not supported for a Scan query with " +
                          thousands(settings.segments_per_time_chunk) + " segments per time chunk and a row limit of " +
                          thousands(row_limit) +
                          ". Try reducing your query limit below maxRowsQueuedForOrdering (currently 100,000), or "
                          "using compaction to reduce the number of segments per time chunk, or raising "
                          "maxSegmentPartitionsOrderedInMemory (currently 50) above the number of segments you have "
                          "per time chunk."));
  }

  Answer answer;
  answer.response_context = table.is_datasource && limit != 0 ? "{\"missingSegments\":[]}" : "{}";

  // Rows, in answer order.
  std::vector<const DruidRow*> rows;
  std::vector<DruidRow> produced;  // aggregate rows
  if (limit != 0 || aggregating) {
    const bool descending = order_column && s.descending;
    if (table.is_datasource) {
      size_t need = std::numeric_limits<size_t>::max();
      if (!aggregating && limit >= 0) need = static_cast<size_t>(limit + offset);
      rows = scan(table, filter, descending, need);
      if (faults.drop_last_day && !rows.empty()) {
        const int64_t day = day_of(rows.back()->time);
        rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const DruidRow* r) { return day_of(r->time) == day; }),
                   rows.end());
        answer.response_context = missing_segment_context(day);
      }
      if (settings.shuffle_ties) shuffle_ties(rows, settings.tie_seed);
    } else if (!filter.never) {
      for (const DruidRow& r : table.all_rows())
        if (filter.pass(table, r)) rows.push_back(&r);
      if (order_column) {
        const size_t c = *order_column;
        std::stable_sort(rows.begin(), rows.end(), [&](const DruidRow* a, const DruidRow* b) {
          auto cmp = compare(scalar_of(stored_value(table, *a, c)), scalar_of(stored_value(table, *b, c)));
          return cmp && (s.descending ? *cmp > 0 : *cmp < 0);
        });
      }
    }
    if (aggregating) {
      auto row = aggregate_row(table, items, rows, settings.empty_aggregates);
      rows.clear();
      if (row) {
        produced.push_back(std::move(*row));
        rows.push_back(&produced.back());
      }
      for (size_t i = 0; i < items.size(); ++i) {
        items[i].source = Item::Source::column;
        items[i].column = i;
      }
      table.has_time = false;
    }
    const size_t first = std::min(rows.size(), static_cast<size_t>(offset));
    size_t last = rows.size();
    if (limit >= 0) last = std::min(last, first + static_cast<size_t>(limit));
    rows = std::vector<const DruidRow*>(rows.begin() + static_cast<std::ptrdiff_t>(first),
                                        rows.begin() + static_cast<std::ptrdiff_t>(last));
  }

  // Render.
  std::vector<OutputColumn> columns;
  for (const Item& it : items) columns.push_back(it.out);
  answer.body.reserve((rows.size() + 3) * (16 * items.size() + 8));
  BodyWriter writer(spec.format, spec.stringify_arrays, answer.body);
  writer.header(columns, spec.header, spec.header && spec.types_header, spec.header && spec.sql_types_header);
  std::vector<const Value*> cells(items.size());
  Value time_value;
  bool complete = true;
  for (size_t n = 0; n < rows.size(); ++n) {
    if (n == faults.truncate_after_rows) {
      complete = false;
      break;
    }
    const DruidRow& r = *rows[n];
    time_value = r.time;
    for (size_t i = 0; i < items.size(); ++i) {
      const Item& it = items[i];
      if (it.source == Item::Source::literal) cells[i] = &it.literal;
      else if (table.is_time(it.column)) cells[i] = &time_value;
      else cells[i] = &stored_value(table, r, it.column);
    }
    writer.row(columns, cells);
  }
  writer.finish(complete && !faults.omit_terminator);
  return answer;
}

}  // namespace

int64_t chunk_start(int64_t time, int64_t granularity_ms) {
  int64_t into = time % granularity_ms;
  if (into < 0) into += granularity_ms;
  return time < std::numeric_limits<int64_t>::min() + into ? std::numeric_limits<int64_t>::min() : time - into;
}

int64_t chunk_end(int64_t start, int64_t granularity_ms) {
  return start > std::numeric_limits<int64_t>::max() - granularity_ms ? std::numeric_limits<int64_t>::max()
                                                                       : start + granularity_ms;
}

Answer run_query(const Catalog& catalog, const EngineSettings& settings, const QuerySpec& spec,
                 const BodyFaults& faults) {
  auto parsed = druid_sql::parse_select(spec.sql);
  if (auto* error = std::get_if<ParseError>(&parsed)) return parse_error_answer(*error);
  try {
    return execute(catalog, settings, spec, std::get<Select>(parsed), faults);
  } catch (const Reject& r) {
    return r.answer;
  }
}

}  // namespace tsyncd::fakes::druid_detail

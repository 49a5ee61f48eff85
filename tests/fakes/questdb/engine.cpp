#include "fakes/questdb/engine.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "fakes/questdb/render.h"

namespace tsyncd::fakes::qdb {
namespace {

SqlError unsupported(std::string what, size_t pos) { return {"fake QuestDB does not support " + what, pos}; }

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

bool is_integer_null(const Column& c, int64_t v) {
  switch (c.type.id) {
    case QType::int_: return v == kIntNull;
    case QType::long_:
    case QType::date:
    case QType::timestamp:
    case QType::timestamp_ns: return v == kLongNull;
    case QType::ipv4: return v == 0;
    default: return false;
  }
}

bool is_null(const Column& c, size_t row) {
  switch (c.type.storage()) {
    case Storage::integer: return is_integer_null(c, c.ints[row]);
    case Storage::real: return std::isnan(c.reals[row]);
    case Storage::text: return c.text_null[row] != 0;
    case Storage::array: return c.arrays[row] == nullptr;
  }
  return true;
}

// Writes one stored cell the way QuestDB renders its type.
class CellWriter {
 public:
  explicit CellWriter(const Column& c) : c_(c) {
    if (c.type.is_time()) time_.emplace(c.type.time_unit());
  }

  void append(std::string& out, size_t row) {
    switch (c_.type.id) {
      case QType::boolean: out += c_.ints[row] ? "true" : "false"; return;
      case QType::byte:
      case QType::short_: append_int(out, c_.ints[row]); return;
      case QType::char_:
        if (c_.ints[row] == 0) {
          out += "\"\"";
        } else {
          std::string ch;
          append_utf8(ch, static_cast<uint32_t>(c_.ints[row]));
          append_json_string(out, ch);
        }
        return;
      case QType::int_:
      case QType::long_:
        if (is_integer_null(c_, c_.ints[row])) out += "null";
        else append_int(out, c_.ints[row]);
        return;
      case QType::date:
      case QType::timestamp:
      case QType::timestamp_ns:
        if (c_.ints[row] == kLongNull) out += "null";
        else time_->append(out, c_.ints[row]);
        return;
      case QType::float_:
        if (!std::isfinite(c_.reals[row])) out += "null";
        else append_float(out, static_cast<float>(c_.reals[row]));
        return;
      case QType::double_:
        if (!std::isfinite(c_.reals[row])) out += "null";
        else append_double(out, c_.reals[row]);
        return;
      case QType::ipv4:
        if (c_.ints[row] == 0) out += "null";
        else append_ipv4(out, static_cast<uint32_t>(c_.ints[row]));
        return;
      case QType::long256:  // NULL renders as an empty string, not null (F:100)
        if (c_.text_null[row]) out += "\"\"";
        else append_json_string(out, c_.texts[row]);
        return;
      case QType::binary: out += "[]"; return;  // QuestDB never renders BINARY contents (F:125)
      case QType::array:
        if (!c_.arrays[row]) out += "null";
        else append_array(out, *c_.arrays[row], 0, 0);
        return;
      default:
        if (c_.text_null[row]) out += "null";
        else append_json_string(out, c_.texts[row]);
        return;
    }
  }

 private:
  // Appends dimension `dim` starting at flat element `offset`; returns the elements consumed.
  static size_t append_array(std::string& out, const DoubleArray& a, size_t dim, size_t offset) {
    out += '[';
    size_t used = 0;
    for (size_t i = 0; i < a.shape[dim]; ++i) {
      if (i > 0) out += ',';
      if (dim + 1 < a.shape.size()) {
        used += append_array(out, a, dim + 1, offset + used);
      } else {
        double v = a.values[offset + used++];
        if (std::isfinite(v)) append_double(out, v);
        else out += "null";
      }
    }
    out += ']';
    return used;
  }

  const Column& c_;
  std::optional<TimeFormatter> time_;
};

// A WHERE condition on a non-designated column (or one the timestamp range cannot express).
struct Filter {
  const Column* column = nullptr;
  Predicate::Op op = Predicate::Op::eq;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  std::vector<std::string> texts;

  template <class T>
  static bool compare(Predicate::Op op, const T& v, const std::vector<T>& operands) {
    switch (op) {
      case Predicate::Op::eq: return v == operands[0];
      case Predicate::Op::lt: return v < operands[0];
      case Predicate::Op::le: return v <= operands[0];
      case Predicate::Op::gt: return v > operands[0];
      case Predicate::Op::ge: return v >= operands[0];
      case Predicate::Op::between: return v >= operands[0] && v <= operands[1];
      case Predicate::Op::in: return std::find(operands.begin(), operands.end(), v) != operands.end();
    }
    return false;
  }

  // NULLs match no condition.
  bool matches(size_t row) const {
    const Column& c = *column;
    if (is_null(c, row)) return false;
    switch (c.type.storage()) {
      case Storage::integer: return compare(op, c.ints[row], ints);
      case Storage::real: return compare(op, c.reals[row], reals);
      case Storage::text: return compare(op, c.texts[row], texts);
      case Storage::array: return false;
    }
    return false;
  }
};

std::optional<SqlError> add_operand(Filter& f, const Literal& l) {
  const QuestType& t = f.column->type;
  using K = Literal::Kind;
  if (t.is_time()) {
    if (l.kind == K::integer) {
      f.ints.push_back(l.integer);
      return std::nullopt;
    }
    if (l.kind != K::string) return unsupported("this value for a " + t.name + " column", l.position);
    auto v = parse_time_literal(l.text, t.time_unit());
    if (!v) return SqlError{"Invalid date [str='" + l.text + "']", l.position};
    f.ints.push_back(*v);
    return std::nullopt;
  }
  switch (t.id) {
    case QType::boolean:
      if (l.kind != K::boolean) return unsupported("this value for a BOOLEAN column", l.position);
      f.ints.push_back(l.boolean ? 1 : 0);
      return std::nullopt;
    case QType::byte:
    case QType::short_:
    case QType::int_:
    case QType::long_:
      if (l.kind != K::integer) return unsupported("this value for a " + t.name + " column", l.position);
      f.ints.push_back(l.integer);
      return std::nullopt;
    case QType::float_:
    case QType::double_:
      if (l.kind == K::integer) f.reals.push_back(static_cast<double>(l.integer));
      else if (l.kind == K::real) f.reals.push_back(l.real);
      else return unsupported("this value for a " + t.name + " column", l.position);
      return std::nullopt;
    case QType::string:
    case QType::varchar:
    case QType::symbol:
      if (l.kind != K::string) return unsupported("this value for a " + t.name + " column", l.position);
      f.texts.push_back(l.text);
      return std::nullopt;
    default: return unsupported("conditions on " + t.name + " columns", l.position);
  }
}

// QuestDB's LIMIT: n (first n), -n (last n), a,b (rows a+1..b), -a,-b and a,-b (counted from the end).
std::optional<SqlError> apply_limit(const std::optional<Limit>& limit, size_t n, size_t& skip, size_t& take,
                                    size_t position) {
  skip = 0;
  take = n;
  if (!limit) return std::nullopt;
  auto clamp = [n](int64_t v) { return std::min(n, static_cast<size_t>(v < 0 ? -v : v)); };
  size_t from, to;
  int64_t a = limit->lo;
  if (!limit->hi) {
    from = a >= 0 ? 0 : n - clamp(a);
    to = a >= 0 ? clamp(a) : n;
  } else {
    int64_t b = *limit->hi;
    if (a < 0 && b >= 0) return unsupported("LIMIT -a,b", position);
    from = a >= 0 ? clamp(a) : n - clamp(a);
    to = b >= 0 ? clamp(b) : n - clamp(b);
  }
  skip = from;
  take = to > from ? to - from : 0;
  return std::nullopt;
}

// Output names: QuestDB de-duplicates with _2, _3 (F:126).
void dedupe_names(std::vector<OutputColumn>& columns) {
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string base = columns[i].name;
    for (int n = 2;; ++n) {
      bool clash = false;
      for (size_t j = 0; j < i; ++j) clash = clash || lower_ascii(columns[j].name) == lower_ascii(columns[i].name);
      if (!clash) break;
      columns[i].name = base + "_" + std::to_string(n);
    }
  }
}

std::string json_bool(bool b) { return b ? "true" : "false"; }

std::variant<Plan, SqlError> plan_columns(const ColumnsQuery& q, const Database& db) {
  const Table* t = db.find(q.table);
  if (!t) return SqlError{"table does not exist [table=" + q.table + "]", q.table_position};
  Plan p;
  static constexpr std::pair<const char*, const char*> kColumns[] = {
      {"column", "STRING"},      {"type", "STRING"},         {"indexed", "BOOLEAN"},
      {"indexBlockCapacity", "INT"}, {"symbolCached", "BOOLEAN"}, {"symbolCapacity", "INT"},
      {"symbolTableSize", "INT"}, {"designated", "BOOLEAN"},  {"upsertKey", "BOOLEAN"},
  };
  for (const auto& [name, type] : kColumns) {
    OutputColumn c;
    c.name = name;
    c.json_column = "{\"name\":\"" + std::string(name) + "\",\"type\":\"" + type + "\"}";
    p.columns.push_back(c);
  }
  for (size_t i = 0; i < t->columns().size(); ++i) {
    const Column& c = t->columns()[i];
    bool symbol = c.type.id == QType::symbol;
    std::string row = "[";
    append_json_string(row, c.name);
    row += ",";
    append_json_string(row, c.type.name);
    row += "," + json_bool(c.indexed) + "," + (symbol ? "256" : "0") + "," + json_bool(symbol) + "," +
           (symbol ? "256" : "0") + "," + std::to_string(symbol ? c.symbol_table_size() : 0) + "," +
           json_bool(static_cast<int>(i) == t->designated()) + "," + json_bool(c.upsert_key) + "]";
    p.literal_rows.push_back(std::move(row));
  }
  p.literal = true;
  p.take = p.literal_rows.size();
  return p;
}

std::variant<Plan, SqlError> plan_constants(const SelectQuery& q) {
  Plan p;
  for (const auto& item : q.items) {
    if (item.kind != SelectItem::Kind::constant) return unsupported("columns without FROM", 0);
    OutputColumn c;
    c.kind = OutputColumn::Kind::constant;
    c.name = item.alias.empty() ? item.text : item.alias;
    c.number = item.number;
    bool is_int = item.number >= INT32_MIN && item.number <= INT32_MAX;
    c.json_column = "{\"name\":" + json_quote(c.name) + ",\"type\":\"" + (is_int ? "INT" : "LONG") + "\"}";
    p.columns.push_back(std::move(c));
  }
  dedupe_names(p.columns);
  p.aggregate = true;
  if (auto e = apply_limit(q.limit, 1, p.skip, p.take, 0)) return *e;
  return p;
}

// Picks the output columns of a SELECT over a table.
std::optional<SqlError> plan_outputs(const SelectQuery& q, const Table& t, Plan& p) {
  bool any_aggregate = false, any_row = false;
  for (const auto& item : q.items) {
    if (item.kind == SelectItem::Kind::star) {
      for (size_t i = 0; i < t.columns().size(); ++i) {
        OutputColumn c;
        c.column = static_cast<int>(i);
        c.name = t.columns()[i].name;
        p.columns.push_back(std::move(c));
      }
      any_row = true;
      continue;
    }
    if (item.kind == SelectItem::Kind::constant) return unsupported("constants in a SELECT with FROM", 0);
    OutputColumn c;
    if (item.kind != SelectItem::Kind::count) {
      c.column = t.find(item.column);
      if (c.column < 0) return SqlError{"Invalid column: " + item.column, item.column_position};
    }
    const Column* source = c.column >= 0 ? &t.columns()[static_cast<size_t>(c.column)] : nullptr;
    c.name = item.alias.empty() ? (item.kind == SelectItem::Kind::column ? source->name : item.text) : item.alias;
    c.number = item.number;
    switch (item.kind) {
      case SelectItem::Kind::column: c.kind = OutputColumn::Kind::cell; break;
      case SelectItem::Kind::count: c.kind = OutputColumn::Kind::count; break;
      case SelectItem::Kind::min:
      case SelectItem::Kind::max:
        if (source->type.storage() == Storage::text || source->type.storage() == Storage::array ||
            source->type.id == QType::char_ || source->type.id == QType::ipv4 || source->type.id == QType::boolean)
          return unsupported("min()/max() of a " + source->type.name + " column", item.column_position);
        c.kind = item.kind == SelectItem::Kind::min ? OutputColumn::Kind::min : OutputColumn::Kind::max;
        break;
      case SelectItem::Kind::base64:
      case SelectItem::Kind::length:
        if (source->type.id != QType::binary)
          return unsupported(item.text + " of a " + source->type.name + " column", item.column_position);
        c.kind = item.kind == SelectItem::Kind::base64 ? OutputColumn::Kind::base64 : OutputColumn::Kind::length;
        break;
      default: break;
    }
    bool aggregate = c.kind == OutputColumn::Kind::min || c.kind == OutputColumn::Kind::max ||
                     c.kind == OutputColumn::Kind::count;
    any_aggregate = any_aggregate || aggregate;
    any_row = any_row || !aggregate;
    p.columns.push_back(std::move(c));
  }
  if (any_aggregate && any_row) return unsupported("mixing aggregates and columns (implicit GROUP BY)", 0);
  p.aggregate = any_aggregate;
  for (auto& c : p.columns) {
    const Column* source = c.column >= 0 ? &t.columns()[static_cast<size_t>(c.column)] : nullptr;
    if (source && source->type.id == QType::long128 && c.kind == OutputColumn::Kind::cell)
      return SqlError{"column type not supported [column=" + source->name + ", type=LONG128]", 0};
  }
  dedupe_names(p.columns);
  for (auto& c : p.columns) {
    const Column* source = c.column >= 0 ? &t.columns()[static_cast<size_t>(c.column)] : nullptr;
    if (source) {
      switch (c.kind) {
        case OutputColumn::Kind::base64: c.json_column = QuestType{QType::string, "STRING"}.json_column(c.name); break;
        case OutputColumn::Kind::length: c.json_column = QuestType{QType::long_, "LONG"}.json_column(c.name); break;
        default: c.json_column = source->type.json_column(c.name); break;
      }
    } else {
      c.json_column = QuestType{QType::long_, "LONG"}.json_column(c.name);
    }
  }
  if (!p.aggregate) {
    for (size_t i = 0; i < p.columns.size(); ++i) {
      if (p.columns[i].kind == OutputColumn::Kind::cell && p.columns[i].column == t.designated()) {
        p.timestamp_index = static_cast<int>(i);
        break;
      }
    }
  }
  return std::nullopt;
}

// Ascending order with NULLs first, as QuestDB's NULL sentinels are the smallest values.
bool sorts_before(const Column& c, size_t a, size_t b) {
  switch (c.type.storage()) {
    case Storage::integer: return c.ints[a] < c.ints[b];
    case Storage::real: {
      double x = c.reals[a], y = c.reals[b];
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && !std::isnan(y);
      return x < y;
    }
    case Storage::text:
      if (c.text_null[a] || c.text_null[b]) return c.text_null[a] && !c.text_null[b];
      return c.texts[a] < c.texts[b];
    case Storage::array: return false;
  }
  return false;
}

std::variant<Plan, SqlError> plan_select(const SelectQuery& q, const Database& db) {
  if (!q.has_from) return plan_constants(q);
  const Table* t = db.find(q.table);
  if (!t) return SqlError{"table does not exist [table=" + q.table + "]", q.table_position};
  Plan p;
  p.table = t;
  if (auto e = plan_outputs(q, *t, p)) return *e;

  // WHERE: conditions on the designated timestamp narrow a binary-searched range; the rest filter.
  size_t begin = 0, end = t->size();
  std::vector<Filter> filters;
  for (const auto& pred : q.where) {
    int col = t->find(pred.column);
    if (col < 0) return SqlError{"Invalid column: " + pred.column, pred.column_position};
    Filter f;
    f.column = &t->columns()[static_cast<size_t>(col)];
    f.op = pred.op;
    for (const auto& v : pred.values)
      if (auto e = add_operand(f, v)) return *e;
    if (col != t->designated() || pred.op == Predicate::Op::in) {
      filters.push_back(std::move(f));
      continue;
    }
    const auto& ts = t->timestamps();
    auto lower = [&](int64_t v) { return static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), v) - ts.begin()); };
    auto upper = [&](int64_t v) { return static_cast<size_t>(std::upper_bound(ts.begin(), ts.end(), v) - ts.begin()); };
    int64_t v = f.ints[0];
    switch (pred.op) {
      case Predicate::Op::gt: begin = std::max(begin, upper(v)); break;
      case Predicate::Op::ge: begin = std::max(begin, lower(v)); break;
      case Predicate::Op::lt: end = std::min(end, lower(v)); break;
      case Predicate::Op::le: end = std::min(end, upper(v)); break;
      case Predicate::Op::eq:
        begin = std::max(begin, lower(v));
        end = std::min(end, upper(v));
        break;
      case Predicate::Op::between:
        begin = std::max(begin, lower(std::min(v, f.ints[1])));
        end = std::min(end, upper(std::max(v, f.ints[1])));
        break;
      case Predicate::Op::in: break;
    }
  }
  if (end < begin) end = begin;
  p.begin = begin;
  p.end = end;
  if (!filters.empty()) {
    p.listed = true;
    for (size_t r = begin; r < end; ++r)
      if (std::all_of(filters.begin(), filters.end(), [r](const Filter& f) { return f.matches(r); }))
        p.rows.push_back(r);
  }

  if (q.order_by) {
    int col = t->find(*q.order_by);
    if (col < 0) return SqlError{"Invalid column: " + *q.order_by, q.order_position};
    p.descending = q.descending;
    if (col != t->designated()) {  // rows are kept in designated order; anything else is sorted
      const Column& c = t->columns()[static_cast<size_t>(col)];
      if (c.type.storage() == Storage::array || c.type.id == QType::binary)
        return unsupported("ORDER BY a " + c.type.name + " column", q.order_position);
      if (!p.listed) {
        p.listed = true;
        for (size_t r = begin; r < end; ++r) p.rows.push_back(r);
      }
      std::stable_sort(p.rows.begin(), p.rows.end(), [&c](size_t a, size_t b) { return sorts_before(c, a, b); });
    }
  }
  size_t n = p.aggregate ? 1 : p.selected();
  if (auto e = apply_limit(q.limit, n, p.skip, p.take, q.table_position)) return *e;
  return p;
}

// The row an aggregate stands for (min/max), or nullopt when every selected value is NULL.
std::optional<size_t> extreme_row(const Plan& p, const Column& c, bool want_min) {
  std::optional<size_t> best;
  size_t n = p.selected();
  for (size_t i = 0; i < n; ++i) {
    size_t r = p.row_at(i);
    if (is_null(c, r)) continue;
    if (!best) {
      best = r;
      continue;
    }
    bool better = c.type.storage() == Storage::real
                      ? (want_min ? c.reals[r] < c.reals[*best] : c.reals[r] > c.reals[*best])
                      : (want_min ? c.ints[r] < c.ints[*best] : c.ints[r] > c.ints[*best]);
    if (better) best = r;
  }
  return best;
}

void render_aggregate_row(const Plan& p, std::string& out) {
  out += '[';
  for (size_t i = 0; i < p.columns.size(); ++i) {
    if (i > 0) out += ',';
    const OutputColumn& c = p.columns[i];
    switch (c.kind) {
      case OutputColumn::Kind::constant: append_int(out, c.number); break;
      case OutputColumn::Kind::count: append_int(out, static_cast<int64_t>(p.selected())); break;
      default: {
        const Column& source = p.table->columns()[static_cast<size_t>(c.column)];
        auto r = extreme_row(p, source, c.kind == OutputColumn::Kind::min);
        if (r) CellWriter(source).append(out, *r);
        else out += "null";
      }
    }
  }
  out += ']';
}

}  // namespace

const Table* Database::find(std::string_view name) const {
  auto it = tables.find(lower_ascii(name));
  return it == tables.end() ? nullptr : it->second.get();
}

Table* Database::find(std::string_view name) {
  auto it = tables.find(lower_ascii(name));
  return it == tables.end() ? nullptr : it->second.get();
}

size_t Plan::row_at(size_t position) const {
  size_t i = descending ? selected() - 1 - position : position;
  return listed ? rows[i] : begin + i;
}

std::variant<Plan, SqlError> plan(const Statement& statement, const Database& db) {
  if (const auto* c = std::get_if<ColumnsQuery>(&statement)) return plan_columns(*c, db);
  return plan_select(std::get<SelectQuery>(statement), db);
}

void render(const Plan& plan, const std::string& sql, ChunkedWriter& out) {
  std::string& buf = out.buffer();
  buf += "{\"query\":";
  append_json_string(buf, sql);
  buf += ",\"columns\":[";
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    if (i > 0) buf += ',';
    buf += plan.columns[i].json_column;
  }
  buf += "],\"timestamp\":";
  append_int(buf, plan.timestamp_index);
  buf += ",\"dataset\":[";
  if (plan.literal) {
    for (size_t i = 0; i < plan.literal_rows.size(); ++i) buf += (i > 0 ? "," : "") + plan.literal_rows[i];
  } else if (plan.aggregate) {
    if (plan.take > 0) render_aggregate_row(plan, buf);
  } else {
    const auto& columns = plan.table->columns();
    std::vector<CellWriter> cells;
    for (const auto& c : plan.columns) cells.emplace_back(columns[static_cast<size_t>(c.column)]);
    for (size_t i = 0; i < plan.take; ++i) {
      size_t row = plan.row_at(plan.skip + i);
      if (i > 0) buf += ',';
      buf += '[';
      for (size_t j = 0; j < plan.columns.size(); ++j) {
        if (j > 0) buf += ',';
        const OutputColumn& c = plan.columns[j];
        const Column& source = columns[static_cast<size_t>(c.column)];
        switch (c.kind) {
          case OutputColumn::Kind::base64:
            if (source.text_null[row]) {
              buf += "null";
            } else {
              const std::string& bytes = source.texts[row];
              buf += '"' + base64(std::string_view(bytes).substr(0, static_cast<size_t>(c.number))) + '"';
            }
            break;
          case OutputColumn::Kind::length:
            append_int(buf, source.text_null[row] ? -1 : static_cast<int64_t>(source.texts[row].size()));
            break;
          default: cells[j].append(buf, row);
        }
      }
      buf += ']';
      if (buf.size() >= kMaxChunk && !out.flush()) return;
    }
  }
  buf += "],\"count\":";
  append_int(buf, static_cast<int64_t>(plan.take));
  buf += '}';
  out.finish();
}

size_t utf16_position(const std::string& sql, size_t byte_offset) {
  size_t units = 0;
  for (size_t i = 0; i < byte_offset && i < sql.size(); ++i) {
    auto c = static_cast<unsigned char>(sql[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += c >= 0xF0 ? 2 : 1;        // 4-byte sequences are surrogate pairs in Java
  }
  return units;
}

Result<int64_t> parse_time_literal(std::string_view text, TimeUnit unit) {
  auto invalid = [&] { return make_error(ErrorKind::query, "Invalid date [str='" + std::string(text) + "']"); };
  auto digits_at = [&](size_t pos, size_t n) {
    if (pos + n > text.size()) return false;
    for (size_t i = 0; i < n; ++i)
      if (text[pos + i] < '0' || text[pos + i] > '9') return false;
    return true;
  };
  if (!digits_at(0, 4) || text.size() < 10 || text[4] != '-' || !digits_at(5, 2) || text[7] != '-' || !digits_at(8, 2))
    return invalid();
  std::string canonical(text.substr(0, 10));
  size_t pos = 10;
  std::string clock = "00:00:00";
  std::string fraction;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!digits_at(pos, 2)) return invalid();
    clock.replace(0, 2, text.substr(pos, 2));
    pos += 2;
    for (size_t field = 3; field <= 6 && pos < text.size() && text[pos] == ':'; field += 3) {
      if (!digits_at(pos + 1, 2)) return invalid();
      clock.replace(field, 2, text.substr(pos + 1, 2));
      pos += 3;
    }
    if (pos < text.size() && text[pos] == '.') {
      size_t start = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == start || pos - start > 9) return invalid();
      fraction = std::string(text.substr(start, pos - start));
    }
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    if (!digits_at(pos + 1, 2) || pos + 3 >= text.size() || text[pos + 3] != ':' || !digits_at(pos + 4, 2))
      return invalid();
    int64_t h = (text[pos + 1] - '0') * 10 + (text[pos + 2] - '0');
    int64_t m = (text[pos + 4] - '0') * 10 + (text[pos + 5] - '0');
    offset_seconds = (text[pos] == '+' ? 1 : -1) * (h * 3600 + m * 60);
    pos += 6;
  }
  if (pos != text.size()) return invalid();
  // Digits beyond the unit are cut, not rounded (F:310).
  size_t unit_digits = unit == TimeUnit::ms ? 3 : unit == TimeUnit::us ? 6 : 9;
  fraction = fraction.substr(0, unit_digits);
  canonical += "T" + clock + (fraction.empty() ? "" : "." + fraction) + "Z";
  auto v = parse_iso_time(canonical, unit);
  if (!v) return invalid();
  return *v - offset_seconds * units_per_second(unit);
}

}  // namespace tsyncd::fakes::qdb

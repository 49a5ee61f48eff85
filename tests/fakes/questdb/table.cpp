#include "fakes/questdb/table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace tsyncd::fakes::qdb {
namespace {

Error bad(std::string message) { return make_error(ErrorKind::internal, std::move(message)); }

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

struct Simple {
  const char* name;
  QType id;
};
constexpr Simple kSimpleTypes[] = {
    {"BOOLEAN", QType::boolean}, {"BYTE", QType::byte},        {"SHORT", QType::short_},
    {"CHAR", QType::char_},      {"INT", QType::int_},         {"LONG", QType::long_},
    {"DATE", QType::date},       {"TIMESTAMP", QType::timestamp}, {"TIMESTAMP_NS", QType::timestamp_ns},
    {"FLOAT", QType::float_},    {"DOUBLE", QType::double_},   {"STRING", QType::string},
    {"VARCHAR", QType::varchar}, {"SYMBOL", QType::symbol},    {"LONG256", QType::long256},
    {"UUID", QType::uuid},       {"IPv4", QType::ipv4},        {"BINARY", QType::binary},
    {"LONG128", QType::long128},
};

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Decodes one UTF-8 code point; false when `s` is not exactly one.
bool single_code_point(std::string_view s, int64_t& cp) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  size_t n = s.empty() ? 0 : b(0) < 0x80 ? 1 : b(0) >= 0xF0 ? 4 : b(0) >= 0xE0 ? 3 : b(0) >= 0xC0 ? 2 : 0;
  if (n == 0 || s.size() != n) return false;
  cp = n == 1 ? b(0) : b(0) & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  return true;
}

bool parse_ipv4(std::string_view s, int64_t& out) {
  int64_t v = 0;
  for (int part = 0; part < 4; ++part) {
    size_t dot = part < 3 ? s.find('.') : s.size();
    if (dot == std::string_view::npos) return false;
    int octet;
    if (!parse_int(s.substr(0, dot), octet) || octet < 0 || octet > 255) return false;
    v = v * 256 + octet;
    s.remove_prefix(part < 3 ? dot + 1 : dot);
  }
  out = v;
  return true;
}

// "0x00ff" -> "0xff": lowercase hex, leading zeros dropped, padded to an even digit count.
bool normalize_long256(std::string_view s, std::string& out) {
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() > 66) return false;
  std::string digits;
  for (char c : s.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    if (digits.empty() && c == '0') continue;
    digits += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (digits.empty()) digits = "0";
  if (digits.size() % 2 == 1) digits.insert(0, "0");
  out = "0x" + digits;
  return true;
}

// Exact decimal text with exactly `scale` fraction digits.
bool normalize_decimal(std::string_view s, int scale, std::string& out) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  size_t dot = s.find('.');
  std::string_view whole = s.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !digits(whole) || !digits(frac) || frac.size() > static_cast<size_t>(scale)) return false;
  out = std::string(s.substr(0, i)) + std::string(whole);
  if (scale > 0) out += "." + std::string(frac) + std::string(static_cast<size_t>(scale) - frac.size(), '0');
  return true;
}

const char* kind_name(Cell::Kind k) {
  switch (k) {
    case Cell::Kind::null: return "NULL";
    case Cell::Kind::boolean: return "a boolean";
    case Cell::Kind::integer: return "an integer";
    case Cell::Kind::float64: return "a double";
    case Cell::Kind::float32: return "a float";
    case Cell::Kind::text: return "text";
    case Cell::Kind::bytes: return "bytes";
    case Cell::Kind::array: return "an array";
  }
  return "a value";
}

Error mismatch(const QuestType& type, const Cell& cell) {
  return bad("cannot store " + std::string(kind_name(cell.kind())) + " in a " + type.name + " column");
}

Result<StoredValue> to_integer(const QuestType& type, const Cell& cell, int64_t min, int64_t max,
                               int64_t null_value) {
  StoredValue v;
  if (cell.is_null()) {
    v.i = null_value;
    return v;
  }
  if (cell.kind() != Cell::Kind::integer) return mismatch(type, cell);
  if (cell.integer() < min || cell.integer() > max)
    return bad(std::to_string(cell.integer()) + " is out of range for " + type.name);
  v.i = cell.integer();
  return v;
}

Result<StoredValue> to_real(const QuestType& type, const Cell& cell) {
  StoredValue v;
  bool is_float = type.id == QType::float_;
  switch (cell.kind()) {
    case Cell::Kind::null: v.d = std::numeric_limits<double>::quiet_NaN(); return v;
    case Cell::Kind::float32: v.d = cell.float32(); return v;
    case Cell::Kind::float64: v.d = is_float ? static_cast<double>(static_cast<float>(cell.float64())) : cell.float64(); return v;
    case Cell::Kind::integer:
      v.d = is_float ? static_cast<double>(static_cast<float>(cell.integer())) : static_cast<double>(cell.integer());
      return v;
    default: return mismatch(type, cell);
  }
}

Result<StoredValue> to_time(const QuestType& type, const Cell& cell) {
  StoredValue v;
  if (cell.is_null()) {
    v.i = kLongNull;
    return v;
  }
  if (cell.kind() == Cell::Kind::integer) {
    v.i = cell.integer();
    return v;
  }
  if (cell.kind() != Cell::Kind::text) return mismatch(type, cell);
  auto parsed = parse_iso_time(cell.text(), type.time_unit());
  if (!parsed) return bad(type.name + " value: " + parsed.error().message);
  v.i = *parsed;
  return v;
}

Result<StoredValue> to_text(const QuestType& type, const Cell& cell) {
  StoredValue v;
  if (cell.is_null()) {
    v.null = true;
    return v;
  }
  bool binary = type.id == QType::binary;
  if (cell.kind() != Cell::Kind::text && !(binary && cell.kind() == Cell::Kind::bytes)) {
    if (type.id == QType::decimal && cell.kind() == Cell::Kind::integer) {
      normalize_decimal(std::to_string(cell.integer()), type.decimal_scale, v.s);
      return v;
    }
    return mismatch(type, cell);
  }
  const std::string& s = cell.text();
  switch (type.id) {
    case QType::long256:
      if (!normalize_long256(s, v.s)) return bad("not a LONG256 literal: '" + s + "'");
      return v;
    case QType::decimal:
      if (!normalize_decimal(s, type.decimal_scale, v.s)) return bad("not a " + type.name + " value: '" + s + "'");
      return v;
    case QType::long128: return bad("the fake stores LONG128 columns as NULL only");
    default: v.s = s; return v;
  }
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Storage QuestType::storage() const {
  switch (id) {
    case QType::float_:
    case QType::double_: return Storage::real;
    case QType::string:
    case QType::varchar:
    case QType::symbol:
    case QType::long256:
    case QType::geohash:
    case QType::uuid:
    case QType::binary:
    case QType::decimal:
    case QType::long128: return Storage::text;
    case QType::array: return Storage::array;
    default: return Storage::integer;
  }
}

TimeUnit QuestType::time_unit() const {
  return id == QType::date ? TimeUnit::ms : id == QType::timestamp_ns ? TimeUnit::ns : TimeUnit::us;
}

std::string QuestType::json_column(std::string_view column_name) const {
  std::string out = "{\"name\":" + json_quote(column_name) + ",\"type\":";
  if (id == QType::array)
    out += "\"ARRAY\",\"dim\":" + std::to_string(array_dims) + ",\"elemType\":\"DOUBLE\"}";
  else
    out += "\"" + name + "\"}";
  return out;
}

Result<QuestType> parse_type(std::string_view text) {
  std::string up = upper_ascii(text);
  QuestType t;
  for (const auto& s : kSimpleTypes) {
    if (up == upper_ascii(s.name)) {
      t.id = s.id;
      t.name = s.name;
      return t;
    }
  }
  if (up.starts_with("DOUBLE[")) {
    std::string_view dims(up);
    dims.remove_prefix(6);
    while (dims.starts_with("[]")) {
      ++t.array_dims;
      dims.remove_prefix(2);
    }
    if (dims.empty() && t.array_dims > 0) {
      t.id = QType::array;
      t.name = "DOUBLE";
      for (int i = 0; i < t.array_dims; ++i) t.name += "[]";
      return t;
    }
  }
  if (up.starts_with("GEOHASH(") && up.ends_with(")") && up.size() > 10) {
    std::string_view inner(up);
    inner = inner.substr(8, inner.size() - 9);
    char unit = inner.back();
    int n;
    if ((unit == 'B' || unit == 'C') && parse_int(inner.substr(0, inner.size() - 1), n) && n > 0 &&
        n <= (unit == 'B' ? 60 : 12)) {
      t.id = QType::geohash;
      t.name = "GEOHASH(" + std::to_string(n) + static_cast<char>(unit - 'A' + 'a') + ")";
      return t;
    }
  }
  if (up.starts_with("DECIMAL(") && up.ends_with(")")) {
    std::string_view inner(up);
    inner = inner.substr(8, inner.size() - 9);
    size_t comma = inner.find(',');
    int p, s;
    if (comma != std::string_view::npos && parse_int(inner.substr(0, comma), p) &&
        parse_int(inner.substr(comma + 1), s) && p >= 1 && p <= 76 && s >= 0 && s <= p) {
      t.id = QType::decimal;
      t.decimal_scale = s;
      t.name = "DECIMAL(" + std::to_string(p) + "," + std::to_string(s) + ")";
      return t;
    }
  }
  return bad("unknown QuestDB type '" + std::string(text) + "'");
}

Result<StoredValue> convert_cell(const QuestType& type, const Cell& cell) {
  switch (type.id) {
    case QType::boolean: {
      StoredValue v;
      if (cell.kind() == Cell::Kind::boolean) v.i = cell.boolean() ? 1 : 0;
      else if (cell.kind() == Cell::Kind::integer && (cell.integer() == 0 || cell.integer() == 1)) v.i = cell.integer();
      else if (!cell.is_null()) return mismatch(type, cell);
      return v;
    }
    case QType::byte: return to_integer(type, cell, INT8_MIN, INT8_MAX, 0);
    case QType::short_: return to_integer(type, cell, INT16_MIN, INT16_MAX, 0);
    case QType::int_: return to_integer(type, cell, INT32_MIN, INT32_MAX, kIntNull);
    case QType::long_: return to_integer(type, cell, INT64_MIN, INT64_MAX, kLongNull);
    case QType::char_: {
      StoredValue v;
      if (cell.kind() == Cell::Kind::text) {
        if (!cell.text().empty() && (!single_code_point(cell.text(), v.i) || v.i > 0xFFFF))
          return bad("a CHAR holds one UTF-16 unit, not '" + cell.text() + "'");
        return v;
      }
      if (cell.kind() == Cell::Kind::integer) return to_integer(type, cell, 0, 0xFFFF, 0);
      if (!cell.is_null()) return mismatch(type, cell);
      return v;
    }
    case QType::ipv4: {
      StoredValue v;
      if (cell.kind() == Cell::Kind::text) {
        if (!parse_ipv4(cell.text(), v.i)) return bad("not an IPv4 address: '" + cell.text() + "'");
        return v;
      }
      if (cell.kind() == Cell::Kind::integer) return to_integer(type, cell, 0, UINT32_MAX, 0);
      if (!cell.is_null()) return mismatch(type, cell);
      return v;
    }
    case QType::date:
    case QType::timestamp:
    case QType::timestamp_ns: return to_time(type, cell);
    case QType::float_:
    case QType::double_: return to_real(type, cell);
    case QType::array: {
      StoredValue v;
      if (cell.is_null()) return v;
      if (cell.kind() != Cell::Kind::array) return mismatch(type, cell);
      const DoubleArray& a = cell.array_value();
      size_t n = 1;
      for (size_t d : a.shape) n *= d;
      if (static_cast<int>(a.shape.size()) != type.array_dims || n != a.values.size())
        return bad("array shape does not fit " + type.name);
      v.a = std::make_shared<const DoubleArray>(a);
      return v;
    }
    default: return to_text(type, cell);
  }
}

int Column::symbol_table_size() const {
  // Inferred from F:403-405: the count is the distinct values plus one once a NULL was stored.
  return static_cast<int>(symbols.size()) + (symbol_null_seen ? 1 : 0);
}

Result<std::unique_ptr<Table>> Table::create(const TableSpec& spec) {
  std::unique_ptr<Table> t(new Table);
  t->name_ = spec.name;
  if (spec.name.empty()) return bad("a table needs a name");
  if (spec.name.find('\'') != std::string::npos) return bad("QuestDB rejects ' in table names");
  for (const auto& c : spec.columns)
    if (auto s = t->add_column(c); !s) return s.error();
  if (!spec.designated_timestamp.empty()) {
    t->designated_ = t->find(spec.designated_timestamp);
    if (t->designated_ < 0) return bad("designated timestamp '" + spec.designated_timestamp + "' is not a column");
    QType id = t->columns_[static_cast<size_t>(t->designated_)].type.id;
    if (id != QType::timestamp && id != QType::timestamp_ns)
      return bad("designated timestamp '" + spec.designated_timestamp + "' must be TIMESTAMP or TIMESTAMP_NS");
  }
  return t;
}

int Table::find(std::string_view column) const {
  std::string want = lower_ascii(column);
  for (size_t i = 0; i < columns_.size(); ++i)
    if (lower_ascii(columns_[i].name) == want) return static_cast<int>(i);
  return -1;
}

Status Table::add_column(const ColumnSpec& spec) {
  if (spec.name.empty()) return bad("a column needs a name");
  if (find(spec.name) >= 0) return bad("duplicate column '" + spec.name + "'");
  auto type = parse_type(spec.type);
  if (!type) return type.error();
  Column c;
  c.name = spec.name;
  c.type = *type;
  c.upsert_key = spec.upsert_key;
  c.indexed = spec.indexed;
  auto null_value = convert_cell(c.type, Cell());
  if (!null_value) return null_value.error();
  switch (c.type.storage()) {
    case Storage::integer: c.ints.assign(rows_, null_value->i); break;
    case Storage::real: c.reals.assign(rows_, null_value->d); break;
    case Storage::text:
      c.texts.assign(rows_, std::string());
      c.text_null.assign(rows_, 1);
      break;
    case Storage::array: c.arrays.assign(rows_, nullptr); break;
  }
  if (rows_ > 0 && c.type.id == QType::symbol) c.symbol_null_seen = true;
  columns_.push_back(std::move(c));
  return ok_status();
}

Result<std::vector<StoredValue>> Table::convert_row(const CellRow& row) const {
  if (row.size() != columns_.size())
    return bad("table " + name_ + " has " + std::to_string(columns_.size()) + " columns, the row has " +
               std::to_string(row.size()) + " cells");
  std::vector<StoredValue> out;
  out.reserve(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    auto v = convert_cell(columns_[i].type, row[i]);
    if (!v) return bad("table " + name_ + ", column " + columns_[i].name + ": " + v.error().message);
    if (static_cast<int>(i) == designated_ && v->i == kLongNull)
      return bad("table " + name_ + ": the designated timestamp cannot be NULL");
    out.push_back(std::move(*v));
  }
  return out;
}

size_t Table::place(const std::vector<StoredValue>& row, bool& replace) const {
  replace = false;
  if (designated_ < 0) return rows_;
  const auto& ts = timestamps();
  int64_t t = row[static_cast<size_t>(designated_)].i;
  if (ts.empty() || ts.back() < t) return rows_;  // the common case: appending in time order
  auto [lo, hi] = std::equal_range(ts.begin(), ts.end(), t);
  size_t begin = static_cast<size_t>(lo - ts.begin()), end = static_cast<size_t>(hi - ts.begin());
  bool dedup = std::any_of(columns_.begin(), columns_.end(), [](const Column& c) { return c.upsert_key; });
  if (dedup) {
    for (size_t r = begin; r < end; ++r) {
      bool same = true;
      for (size_t c = 0; c < columns_.size() && same; ++c) {
        const Column& col = columns_[c];
        if (!col.upsert_key || static_cast<int>(c) == designated_) continue;
        switch (col.type.storage()) {
          case Storage::integer: same = col.ints[r] == row[c].i; break;
          case Storage::real: same = col.reals[r] == row[c].d || (std::isnan(col.reals[r]) && std::isnan(row[c].d)); break;
          case Storage::text:
            same = col.text_null[r] ? row[c].null : (!row[c].null && col.texts[r] == row[c].s);
            break;
          case Storage::array: same = false; break;
        }
      }
      if (same) {
        replace = true;
        return r;
      }
    }
  }
  return end;
}

void Table::put(size_t at, bool replace, std::vector<StoredValue>& row) {
  for (size_t c = 0; c < columns_.size(); ++c) {
    Column& col = columns_[c];
    StoredValue& v = row[c];
    if (col.type.id == QType::symbol) {
      if (v.null) col.symbol_null_seen = true;
      else col.symbols.insert(v.s);
    }
    switch (col.type.storage()) {
      case Storage::integer:
        if (replace) col.ints[at] = v.i;
        else col.ints.insert(col.ints.begin() + static_cast<ptrdiff_t>(at), v.i);
        break;
      case Storage::real:
        if (replace) col.reals[at] = v.d;
        else col.reals.insert(col.reals.begin() + static_cast<ptrdiff_t>(at), v.d);
        break;
      case Storage::text:
        if (replace) {
          col.texts[at] = std::move(v.s);
          col.text_null[at] = v.null;
        } else {
          col.texts.insert(col.texts.begin() + static_cast<ptrdiff_t>(at), std::move(v.s));
          col.text_null.insert(col.text_null.begin() + static_cast<ptrdiff_t>(at), v.null);
        }
        break;
      case Storage::array:
        if (replace) col.arrays[at] = std::move(v.a);
        else col.arrays.insert(col.arrays.begin() + static_cast<ptrdiff_t>(at), std::move(v.a));
        break;
    }
  }
  if (!replace) ++rows_;
}

Status Table::insert(const std::vector<CellRow>& rows) {
  std::vector<std::vector<StoredValue>> converted;
  converted.reserve(rows.size());
  for (const auto& row : rows) {
    auto v = convert_row(row);
    if (!v) return v.error();
    converted.push_back(std::move(*v));
  }
  for (auto& row : converted) {
    bool replace;
    size_t at = place(row, replace);
    put(at, replace, row);
  }
  return ok_status();
}

void Table::erase_rows(size_t begin, size_t end) {
  auto erase = [&](auto& v) {
    v.erase(v.begin() + static_cast<ptrdiff_t>(begin), v.begin() + static_cast<ptrdiff_t>(end));
  };
  for (Column& c : columns_) {
    switch (c.type.storage()) {
      case Storage::integer: erase(c.ints); break;
      case Storage::real: erase(c.reals); break;
      case Storage::text:
        erase(c.texts);
        erase(c.text_null);
        break;
      case Storage::array: erase(c.arrays); break;
    }
  }
  rows_ -= end - begin;
}

Result<size_t> Table::erase_range(int64_t lo, int64_t hi) {
  if (designated_ < 0) return bad("table " + name_ + " has no designated timestamp");
  const auto& ts = timestamps();
  size_t begin = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), lo) - ts.begin());
  size_t end = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), hi) - ts.begin());
  if (end <= begin) return size_t{0};
  erase_rows(begin, end);
  return end - begin;
}

Result<size_t> Table::update_range(int64_t lo, int64_t hi, std::string_view column, const Cell& value) {
  if (designated_ < 0) return bad("table " + name_ + " has no designated timestamp");
  int c = find(column);
  if (c < 0) return bad("table " + name_ + " has no column " + std::string(column));
  if (c == designated_) return bad("the designated timestamp cannot be updated");
  auto v = convert_cell(columns_[static_cast<size_t>(c)].type, value);
  if (!v) return bad("column " + std::string(column) + ": " + v.error().message);
  const auto& ts = timestamps();
  size_t begin = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), lo) - ts.begin());
  size_t end = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), hi) - ts.begin());
  Column& col = columns_[static_cast<size_t>(c)];
  for (size_t r = begin; r < end; ++r) {
    switch (col.type.storage()) {
      case Storage::integer: col.ints[r] = v->i; break;
      case Storage::real: col.reals[r] = v->d; break;
      case Storage::text:
        col.texts[r] = v->s;
        col.text_null[r] = v->null;
        break;
      case Storage::array: col.arrays[r] = v->a; break;
    }
  }
  if (col.type.id == QType::symbol && end > begin) {
    if (v->null) col.symbol_null_seen = true;
    else col.symbols.insert(v->s);
  }
  return end > begin ? end - begin : 0;
}

}  // namespace tsyncd::fakes::qdb

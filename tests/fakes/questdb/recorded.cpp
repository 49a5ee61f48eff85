#include "fakes/questdb/recorded.h"

#include <simdjson.h>

#include <limits>

namespace tsyncd::fakes {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

Error bad(std::string message) { return make_error(ErrorKind::protocol, "recorded result: " + std::move(message)); }

// Flattens nested JSON arrays into shape + values; null elements become NaN (QuestDB renders NaN
// elements as null).
bool flatten(element e, size_t depth, DoubleArray& out) {
  simdjson::dom::array a;
  if (e.get_array().get(a)) return false;
  size_t n = a.size();
  if (out.shape.size() == depth) out.shape.push_back(n);
  else if (out.shape[depth] != n) return false;
  for (element x : a) {
    if (x.type() == element_type::ARRAY) {
      if (!flatten(x, depth + 1, out)) return false;
    } else if (x.is_null()) {
      out.values.push_back(std::numeric_limits<double>::quiet_NaN());
    } else {
      double d;
      if (x.get_double().get(d)) return false;
      out.values.push_back(d);
    }
  }
  return true;
}

Result<Cell> to_cell(element v, const std::string& type, int dims) {
  if (v.is_null()) return Cell();
  if (type == "BOOLEAN") {
    bool b;
    if (v.get_bool().get(b)) return bad("expected a boolean");
    return Cell(b);
  }
  if (type == "BYTE" || type == "SHORT" || type == "INT" || type == "LONG") {
    int64_t i;
    if (v.get_int64().get(i)) return bad("expected an integer");
    return Cell(i);
  }
  if (type == "FLOAT" || type == "DOUBLE") {
    double d;
    if (v.get_double().get(d)) return bad("expected a number");
    return type == "FLOAT" ? Cell(static_cast<float>(d)) : Cell(d);
  }
  if (type == "BINARY") return Cell();
  if (type == "ARRAY") {
    DoubleArray a;
    if (!flatten(v, 0, a)) return bad("expected a rectangular array");
    while (static_cast<int>(a.shape.size()) < dims) a.shape.push_back(0);
    return Cell::array(std::move(a));
  }
  std::string_view s;
  if (v.get_string().get(s)) return bad("expected a string for " + type);
  if (type == "LONG256" && s.empty()) return Cell();
  return Cell(s);
}

}  // namespace

Result<RecordedResult> parse_recorded_result(std::string_view json, std::string table_name) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element doc;
  if (parser.parse(padded).get(doc)) return bad("not JSON");
  simdjson::dom::array columns, dataset;
  int64_t timestamp = -1;
  if (doc["columns"].get_array().get(columns) || doc["dataset"].get_array().get(dataset) ||
      doc["timestamp"].get_int64().get(timestamp))
    return bad("missing columns, dataset or timestamp");

  RecordedResult out;
  out.table.name = std::move(table_name);
  std::vector<std::pair<std::string, int>> types;  // as reported, with array dimensions
  for (element c : columns) {
    std::string_view name, type;
    if (c["name"].get_string().get(name) || c["type"].get_string().get(type)) return bad("bad column entry");
    ColumnSpec spec{std::string(name), std::string(type)};
    int dims = 0;
    if (type == "ARRAY") {
      int64_t d;
      if (c["dim"].get_int64().get(d)) return bad("array column without dim");
      dims = static_cast<int>(d);
      spec.type = "DOUBLE";
      for (int i = 0; i < dims; ++i) spec.type += "[]";
    }
    types.emplace_back(std::string(type), dims);
    out.table.columns.push_back(std::move(spec));
  }
  if (timestamp >= 0 && static_cast<size_t>(timestamp) < out.table.columns.size())
    out.table.designated_timestamp = out.table.columns[static_cast<size_t>(timestamp)].name;

  for (element r : dataset) {
    simdjson::dom::array values;
    if (r.get_array().get(values) || values.size() != types.size()) return bad("row of the wrong width");
    CellRow row;
    size_t i = 0;
    for (element v : values) {
      auto cell = to_cell(v, types[i].first, types[i].second);
      if (!cell) return cell.error().with_context("column " + out.table.columns[i].name + ": ");
      row.push_back(std::move(*cell));
      ++i;
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace tsyncd::fakes

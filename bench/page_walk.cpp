#include "page_walk.h"

#include <httplib.h>

#include "http/http.h"
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace tsyncd::bench {
namespace {

Error bad(std::string message) { return make_error(ErrorKind::protocol, std::move(message)); }

// simdjson reads up to SIMDJSON_PADDING bytes past the text; give the string that capacity.
simdjson::padded_string_view padded(std::string& body) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
}

// What discovery and the bounds query tell the page loop.
struct TableShape {
  std::vector<SourceColumn> columns;  // the select list
  std::string select_list;
  std::string time_column;
  size_t time_index = 0;  // in the select list
  TimeUnit unit = TimeUnit::us;
};

class Walker {
 public:
  explicit Walker(const WalkOptions& options) : options_(options), client_(options.host, options.port) {
    client_.set_keep_alive(true);
    client_.set_url_encode(false);  // targets are encoded already
    client_.set_read_timeout(120, 0);
  }

  Result<WalkTotals> run(const std::function<Status(Page&)>& on_page) {
    Result<TableShape> shape = discover();
    if (!shape) return shape.error();
    shape_ = std::move(*shape);
    totals_.columns = shape_.columns;
    Result<std::optional<std::pair<int64_t, int64_t>>> bounds = read_bounds();
    if (!bounds) return bounds.error();
    if (*bounds)
      if (Status s = pages((*bounds)->first, (*bounds)->second, on_page); !s) return s.error();
    return std::move(totals_);
  }

 private:
  // The page loop of sync/table_sync.cpp, without the destination.
  Status pages(int64_t lo, int64_t hi, const std::function<Status(Page&)>& on_page) {
    std::vector<int64_t> ts;
    int64_t want_lo = lo, want_hi = hi;
    size_t limit = options_.page_size;
    while (true) {
      Result<std::string> body = get(page_sql(want_lo, want_hi, limit));
      if (!body) return body.error();
      if (Status s = read_timestamps(*body, ts); !s) return s;
      totals_.rows_read += static_cast<int64_t>(ts.size());

      size_t complete = ts.size();
      bool done = false;
      if (limit == 0) {  // a whole tie group [t, t]
        done = want_hi == hi;
        want_lo = want_hi + 1;
        want_hi = hi;
        limit = options_.page_size;
      } else if (ts.size() < limit) {
        done = true;
      } else if (ts.front() == ts.back()) {  // one timestamp fills the page: read it as one group
        complete = 0;
        want_lo = want_hi = ts.back();
        limit = 0;
      } else {  // rows at the last timestamp may go on: keep what lies below it
        complete = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), ts.back()) - ts.begin());
        want_lo = ts.back();
      }
      if (complete > 0) {
        totals_.rows_complete += static_cast<int64_t>(complete);
        totals_.transactions += 1;
      }
      Page page{shape_.columns, *body, ts, complete};
      if (Status s = on_page(page); !s) return s;
      if (done) return ok_status();
    }
  }

  std::string page_sql(int64_t lo, int64_t hi, size_t limit) const {
    const std::string time = quote_identifier(shape_.time_column);
    std::string sql = "SELECT " + shape_.select_list + " FROM " + quote_identifier(options_.table) + " WHERE " + time + " >= '" +
                      format_iso_time(lo, shape_.unit) + "' AND " + time + " <= '" + format_iso_time(hi, shape_.unit) +
                      "' ORDER BY " + time;
    if (limit > 0) sql += " LIMIT " + std::to_string(limit);
    return sql;
  }

  Result<std::string> get(const std::string& sql) {
    totals_.requests += 1;
    httplib::Result res = client_.Get("/exec?query=" + url_encode(sql));
    if (!res) return make_error(ErrorKind::transient, "GET /exec: " + httplib::to_string(res.error()));
    if (res->status != 200)
      return make_error(ErrorKind::query, "GET /exec answered " + std::to_string(res->status) + ": " + res->body);
    totals_.body_bytes += static_cast<int64_t>(res->body.size());
    return std::move(res->body);
  }

  // table_columns() rows: [column, type, indexed, indexBlockCapacity, symbolCached,
  // symbolCapacity, symbolTableSize, designated, upsertKey] (shared/fixtures/questdb/405).
  Result<TableShape> discover() {
    if (options_.table.find('\'') != std::string::npos) return make_error(ErrorKind::config, "bad table name");
    Result<std::string> body = get("table_columns('" + options_.table + "')");
    if (!body) return body.error();
    simdjson::ondemand::document doc;
    simdjson::ondemand::array dataset;
    if (parser_.iterate(padded(*body)).get(doc) || doc["dataset"].get_array().get(dataset))
      return bad("table_columns: no dataset in " + *body);
    TableShape shape;
    for (auto row_value : dataset) {
      simdjson::ondemand::array row;
      if (row_value.get_array().get(row)) return bad("table_columns: a row is not an array");
      std::string_view name, type;
      bool designated = false;
      size_t i = 0;
      for (auto cell : row) {
        simdjson::error_code e = simdjson::SUCCESS;
        if (i == 0) e = cell.get_string().get(name);
        if (i == 1) e = cell.get_string().get(type);
        if (i == 7) e = cell.get_bool().get(designated);
        if (e) return bad("table_columns: unexpected row shape");
        ++i;
      }
      std::string column(name);
      if (!shape.select_list.empty()) shape.select_list += ", ";
      if (type == "BINARY") {  // as tsyncd selects it (sources/questdb/sql.cpp)
        shape.select_list += "base64(" + quote_identifier(column) + ", 16777216) " + quote_identifier(column) + ", length(" +
                             quote_identifier(column) + ") " + quote_identifier(column + "__len");
        shape.columns.push_back({column, "BINARY"});
        shape.columns.push_back({column + "__len", "LONG"});
        continue;
      }
      if (designated) {
        shape.time_column = column;
        shape.time_index = shape.columns.size();
        shape.unit = type == "DATE" ? TimeUnit::ms : type == "TIMESTAMP_NS" ? TimeUnit::ns : TimeUnit::us;
      }
      shape.select_list += quote_identifier(column);
      shape.columns.push_back({column, std::string(type)});
    }
    if (shape.time_column.empty()) return bad("table " + options_.table + " has no designated timestamp");
    return shape;
  }

  // min and max of the time column; nullopt for an empty table.
  Result<std::optional<std::pair<int64_t, int64_t>>> read_bounds() {
    const std::string time = quote_identifier(shape_.time_column);
    Result<std::string> body = get("SELECT min(" + time + "), max(" + time + "), count() FROM " + quote_identifier(options_.table));
    if (!body) return body.error();
    simdjson::ondemand::document doc;
    simdjson::ondemand::array dataset;
    if (parser_.iterate(padded(*body)).get(doc) || doc["dataset"].get_array().get(dataset))
      return bad("bounds: no dataset in " + *body);
    std::vector<std::optional<int64_t>> values;
    for (auto row_value : dataset) {
      simdjson::ondemand::array row;
      if (row_value.get_array().get(row)) return bad("bounds: the row is not an array");
      for (auto cell : row) {
        if (values.size() == 2) break;
        bool null = false;
        if (cell.is_null().get(null)) return bad("bounds: bad value");
        std::string_view text;
        if (null) {
          values.push_back(std::nullopt);
        } else if (cell.get_string().get(text)) {
          return bad("bounds: min/max is not a string");
        } else {
          Result<int64_t> t = parse_iso_time(text, shape_.unit);
          if (!t) return t.error();
          values.push_back(*t);
        }
      }
      break;
    }
    if (values.size() != 2) return bad("bounds: unexpected answer " + *body);
    if (!values[0] || !values[1]) return std::optional<std::pair<int64_t, int64_t>>();
    return std::optional(std::pair(*values[0], *values[1]));
  }

  // The minimal parse: each row's time column only; simdjson skips the other values.
  Status read_timestamps(std::string& body, std::vector<int64_t>& out) {
    out.clear();
    simdjson::ondemand::document doc;
    simdjson::ondemand::array dataset;
    if (parser_.iterate(padded(body)).get(doc) || doc["dataset"].get_array().get(dataset))
      return bad("page: no dataset");
    for (auto row_value : dataset) {
      simdjson::ondemand::array row;
      if (row_value.get_array().get(row)) return bad("page: a row is not an array");
      size_t i = 0;
      for (auto cell : row) {
        if (i++ != shape_.time_index) continue;
        std::string_view text;
        if (cell.get_string().get(text)) return bad("page: the time value is not a string");
        Result<int64_t> t = parse_iso_time(text, shape_.unit);
        if (!t) return t.error();
        out.push_back(*t);
        break;
      }
      if (i <= shape_.time_index) return bad("page: a row is too short");
    }
    return ok_status();
  }

  const WalkOptions& options_;
  httplib::Client client_;
  simdjson::ondemand::parser parser_;
  TableShape shape_;
  WalkTotals totals_;
};

}  // namespace

bool set_walk_option(WalkOptions& options, const std::string& flag, const std::string& value) {
  if (flag == "--port") options.port = std::atoi(value.c_str());
  else if (flag == "--host") options.host = value;
  else if (flag == "--table") options.table = value;
  else if (flag == "--page-size") options.page_size = static_cast<size_t>(std::atoll(value.c_str()));
  else return false;
  return true;
}

std::string check_walk_options(const WalkOptions& options) {
  if (options.port <= 0) return "--port is required";
  if (options.page_size == 0) return "--page-size must be positive";
  return "";
}

Result<WalkTotals> walk_table(const WalkOptions& options, const std::function<Status(Page&)>& on_page) {
  try {
    return Walker(options).run(on_page);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, std::string("walking the table: ") + e.what());
  }
}

}  // namespace tsyncd::bench

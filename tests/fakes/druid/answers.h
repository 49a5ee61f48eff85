// answers: the bytes of Druid's answers — result bodies in the five result formats (druid.md 2.2),
// each value rendered as in section 3, and the error envelopes of section 5.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace tsyncd::fakes::druid_detail {

enum class ResultFormat { object, array, object_lines, array_lines, csv };

// How a result column's values are written, decided by its SQL and native types.
enum class CellKind { timestamp, integer, boolean, float64, float32, string, array, complex };
CellKind cell_kind(std::string_view sql_type, std::string_view native_type);

struct OutputColumn {
  std::string name;
  std::string native_type;  // empty: unknown (rendered as null)
  std::string sql_type;
  CellKind kind = CellKind::string;
};

// Writes a result body piece by piece: the header rows, then one call per row. Each format has its
// own separators and terminator; stopping before finish(true) leaves exactly the prefix a Broker
// sends when a query fails after the first row (section 2.3).
class BodyWriter {
 public:
  BodyWriter(ResultFormat format, bool stringify_arrays, std::string& out);

  void header(const std::vector<OutputColumn>& columns, bool names, bool types, bool sql_types);
  // One row; `cells` holds one value per column (timestamps as int64 milliseconds).
  void row(const std::vector<OutputColumn>& columns, const std::vector<const Value*>& cells);
  // complete: write the format's terminator; otherwise end where the body stands.
  void finish(bool complete);

 private:
  void begin_piece();
  void end_piece();
  void json_cell(const Value& v, CellKind kind);
  void csv_cell(const Value& v, CellKind kind);
  // Rows come in time order, often many per millisecond: the last text is reused.
  const std::string& timestamp_text(int64_t millis);

  ResultFormat format_;
  bool stringify_arrays_;
  std::string& out_;
  bool any_piece_ = false;
  std::optional<int64_t> last_time_;
  std::string last_time_text_;
};

// Error bodies (section 5.1). Bodies have no trailing newline.
std::string druid_exception(std::string_view error_code, std::string_view persona, std::string_view category,
                            std::string_view message, std::string_view context_json = "{}");
// A legacy QueryException wrapped by QueryExceptionCompat; nullopt fields are written as null.
std::string legacy_exception(std::string_view error, std::optional<std::string_view> error_class,
                             std::optional<std::string_view> host, std::string_view category,
                             std::string_view message);
// Jetty's HttpException as the SQL resource writes it (body-level rejections, fixtures 016/017).
std::string http_exception(std::string_view message);
// The context of an error that points into the SQL text.
std::string position_context(int line, int column, int end_line, int end_column);

std::string json_string(std::string_view text);

}  // namespace tsyncd::fakes::druid_detail

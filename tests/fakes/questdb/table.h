// In-memory tables of the fake QuestDB: QuestDB's type system and column-wise storage.
//
// Values are stored the way QuestDB stores them, NULL sentinels included (INT min, LONG min,
// NaN, IPv4 0, CHAR 0), because that is what decides how they render: an INT column cannot tell
// an inserted NULL from an inserted -2147483648 either. Storage is column-wise so that a 1M-row
// table costs tens of megabytes, not hundreds.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "fakes/questdb/fake_questdb.h"

namespace tsyncd::fakes::qdb {

enum class QType {
  boolean, byte, short_, char_, int_, long_, date, timestamp, timestamp_ns, float_, double_,
  string, varchar, symbol, long256, geohash, uuid, ipv4, binary, array, decimal, long128,
};

// Where a column keeps its values.
enum class Storage { integer, real, text, array };

struct QuestType {
  QType id = QType::long_;
  std::string name;  // QuestDB's spelling: "IPv4", "GEOHASH(6c)", "DECIMAL(18,4)", "DOUBLE[][]"
  int array_dims = 0;
  int decimal_scale = 0;

  Storage storage() const;
  bool is_time() const { return id == QType::date || id == QType::timestamp || id == QType::timestamp_ns; }
  TimeUnit time_unit() const;  // for time types
  // The "columns" entry of an /exec result, e.g. {"name":"x","type":"ARRAY","dim":2,"elemType":"DOUBLE"}.
  std::string json_column(std::string_view column_name) const;
};

Result<QuestType> parse_type(std::string_view name);

inline constexpr int64_t kLongNull = INT64_MIN;
inline constexpr int64_t kIntNull = INT32_MIN;

struct Column {
  std::string name;
  QuestType type;
  bool upsert_key = false;
  bool indexed = false;

  // One of these holds the values, by type().storage().
  std::vector<int64_t> ints;     // sentinel NULLs
  std::vector<double> reals;     // NaN is NULL; FLOAT values are kept as their exact double
  std::vector<std::string> texts;
  std::vector<uint8_t> text_null;
  std::vector<std::shared_ptr<const DoubleArray>> arrays;  // nullptr is NULL

  // SYMBOL dictionary: QuestDB never shrinks it, so it outlives deleted rows.
  std::set<std::string> symbols;
  bool symbol_null_seen = false;
  int symbol_table_size() const;

  bool text_is_null(size_t row) const { return text_null[row] != 0; }
};

// One converted row, ready to be placed into the columns.
struct StoredValue {
  int64_t i = 0;
  double d = 0;
  std::string s;
  bool null = false;
  std::shared_ptr<const DoubleArray> a;
};

class Table {
 public:
  static Result<std::unique_ptr<Table>> create(const TableSpec& spec);

  const std::string& name() const { return name_; }
  size_t size() const { return rows_; }
  const std::vector<Column>& columns() const { return columns_; }
  int designated() const { return designated_; }
  // Designated timestamps, ascending; only when designated() >= 0.
  const std::vector<int64_t>& timestamps() const { return columns_[static_cast<size_t>(designated_)].ints; }
  // Index of a column by name (case-insensitive, as in QuestDB), or -1.
  int find(std::string_view column) const;

  Status add_column(const ColumnSpec& spec);
  Status insert(const std::vector<CellRow>& rows);
  Result<size_t> erase_range(int64_t lo, int64_t hi);
  Result<size_t> update_range(int64_t lo, int64_t hi, std::string_view column, const Cell& value);

 private:
  Table() = default;
  Result<std::vector<StoredValue>> convert_row(const CellRow& row) const;
  // Where a row with timestamp ts goes: after its tie group, or onto an upsert-key match.
  size_t place(const std::vector<StoredValue>& row, bool& replace) const;
  void put(size_t at, bool replace, std::vector<StoredValue>& row);
  void erase_rows(size_t begin, size_t end);

  std::string name_;
  std::vector<Column> columns_;
  int designated_ = -1;
  size_t rows_ = 0;
};

// Converts a cell to the stored form of `type`; the message names what is wrong.
Result<StoredValue> convert_cell(const QuestType& type, const Cell& cell);

std::string lower_ascii(std::string_view s);

}  // namespace tsyncd::fakes::qdb

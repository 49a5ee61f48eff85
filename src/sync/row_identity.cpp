#include <cstring>
#include <unordered_map>

#include <xxhash.h>

#include "sync.h"

namespace tsyncd {
namespace {

// Canonical bytes of one value: a type tag, then a fixed-width or length-prefixed payload, so
// that no two different value sequences share an encoding ("ab","c" vs "a","bc"; 1 vs 1.0).
void append_canonical(std::string& out, const Value& value) {
  switch (value.index()) {
    case 0:
      out.push_back('\0');
      break;
    case 1: {
      out.push_back('i');
      int64_t v = std::get<int64_t>(value);
      out.append(reinterpret_cast<const char*>(&v), sizeof v);
      break;
    }
    case 2: {
      out.push_back('d');
      double v = std::get<double>(value);
      out.append(reinterpret_cast<const char*>(&v), sizeof v);  // bits: -0.0 and 0.0 differ
      break;
    }
    default: {
      out.push_back('s');
      const std::string& s = std::get<std::string>(value);
      uint64_t n = s.size();
      out.append(reinterpret_cast<const char*>(&n), sizeof n);
      out.append(s);
    }
  }
}

}  // namespace

void assign_row_identity(std::vector<Row>& rows, const std::vector<size_t>& key_indexes) {
  std::string buffer;
  std::unordered_map<int64_t, int64_t> seen_in_group;  // key -> rows seen so far at this ts
  int64_t group_ts = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    Row& row = rows[i];
    buffer.clear();
    if (key_indexes.empty()) {
      for (const Value& v : row.values) append_canonical(buffer, v);
    } else {
      for (size_t k : key_indexes) append_canonical(buffer, row.values[k]);
    }
    row.key = static_cast<int64_t>(XXH3_64bits(buffer.data(), buffer.size()));
    if (i == 0 || row.ts != group_ts) {
      seen_in_group.clear();
      group_ts = row.ts;
    }
    row.dup = seen_in_group[row.key]++;
  }
}

std::string describe_schema(const TableInfo& info) {
  std::string out = "time=" + info.time_column().name + " unit=" + std::string(to_string(info.time_unit));
  for (const Column& c : info.columns) out += "\n" + c.name + " " + c.source_type;
  for (size_t k : info.key_indexes) out += "\nkey " + info.columns[k].name;
  for (const std::string& s : info.skipped_columns) out += "\nskipped " + s;
  return out;
}

}  // namespace tsyncd

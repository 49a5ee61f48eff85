// The all-types QuestDB table both e2e destination suites sync (SQLite and PostgreSQL): every
// type with NULLs, NaN/Infinity, extremes, unicode, pre-1970 and far-future values. Each suite
// keeps its own expected destination values, since the destinations differ on purpose.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "fakes/questdb/fake_questdb.h"

namespace tsyncd::e2e {

inline fakes::TableSpec all_types_spec() {
  return fakes::TableSpec{"types",
                        {{"ts", "TIMESTAMP"},      {"b", "BOOLEAN"},         {"by", "BYTE"},    {"sh", "SHORT"},
                         {"ch", "CHAR"},           {"i", "INT"},             {"l", "LONG"},     {"d", "DATE"},
                         {"t", "TIMESTAMP"},       {"tn", "TIMESTAMP_NS"},   {"f", "FLOAT"},    {"db", "DOUBLE"},
                         {"st", "STRING"},         {"vc", "VARCHAR"},        {"sy", "SYMBOL"},  {"l256", "LONG256"},
                         {"g", "GEOHASH(6c)"},     {"u", "UUID"},            {"ip", "IPv4"},    {"bin", "BINARY"},
                         {"arr", "DOUBLE[]"},      {"arr2", "DOUBLE[][]"},   {"dec", "DECIMAL(18,4)"}},
                        "ts"};
}

inline std::vector<fakes::CellRow> all_types_rows() {
  using fakes::Cell;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  fakes::DoubleArray matrix{{2, 2}, {1.0, 2.0, 3.0, 4.0}};
  return {
      // typical values at the epoch (the earliest designated timestamp QuestDB accepts)
      {Cell("1970-01-01T00:00:00.000000Z"), Cell(true), Cell(1), Cell(2), Cell("a"), Cell(3), Cell(int64_t{4}),
       Cell("2024-01-01T01:02:03.456Z"), Cell("2024-01-01T01:02:03.456789Z"), Cell("2024-01-01T01:02:03.456789123Z"),
       Cell(1.5f), Cell(2.25), Cell("hello"), Cell("world"), Cell("sym1"),
       Cell("0x7ee65ec7b6e3bc3a422a8855e9d7bfd29199af5c2aa91ba39c022fa261bdede7"), Cell("u33d8b"),
       Cell("11111111-2222-3333-4444-555555555555"), Cell("192.168.1.10"), Cell::bytes(std::string("\x00\x01\xff", 3)),
       Cell::array(std::vector<double>{1.0, 2.5, -3.0}), Cell::array(matrix), Cell("12345678901234.5678")},
      // every nullable column NULL
      {Cell("1970-01-01T00:00:00.000001Z"), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(),
       Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell()},
      // extremes, after 2100, with dates before 1970 in non-designated columns
      {Cell("2100-06-15T12:00:00.000000Z"), Cell(false), Cell(127), Cell(32767), Cell("Z"), Cell(2147483647),
       Cell(std::numeric_limits<int64_t>::max()), Cell("1969-12-31T23:59:59.999Z"), Cell("0001-01-01T00:00:00.000000Z"),
       Cell("2262-04-11T23:47:16.854775807Z"), Cell(3.4028235e38f), Cell(1.7976931348623157e308), Cell(""),
       Cell(""), Cell(""), Cell("0x00"), Cell("zzzzzz"), Cell("00000000-0000-0000-0000-000000000000"),
       Cell("255.255.255.255"), Cell::bytes(""), Cell::array(std::vector<double>{}), Cell(),
       Cell("-99999999999999.9999")},
      // NaN/Infinity (QuestDB renders them as null), minima, unicode and control characters
      {Cell("9999-12-31T23:59:59.999999Z"), Cell(true), Cell(-128), Cell(-32768), Cell("é"), Cell(-2147483647),
       Cell(-9223372036854775807LL), Cell("1900-01-01T00:00:00.001Z"), Cell("1969-12-31T23:59:59.999999Z"),
       Cell("1678-01-01T00:00:00.000000001Z"), Cell(std::numeric_limits<float>::infinity()), Cell(nan),
       Cell("ünï \"cødé\" ✓ 日本語 😀 it's"), Cell("line1\nline2\r\nTAB\there back\\slash </script> \x01\x1f end"),
       Cell("sym with space ✓"), Cell(), Cell(), Cell(), Cell("0.0.0.0"), Cell(), Cell::array(std::vector<double>{-0.0}),
       Cell(), Cell("0.0001")},
      // -0.0, the smallest subnormal and -Infinity
      {Cell("9999-12-31T23:59:59.999999Z"), Cell(false), Cell(0), Cell(0), Cell(), Cell(0), Cell(int64_t{0}), Cell(),
       Cell(), Cell(), Cell(-0.0f), Cell(-0.0), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(),
       Cell(), Cell(), Cell()},
      {Cell("9999-12-31T23:59:59.999999Z"), Cell(false), Cell(0), Cell(0), Cell(), Cell(0), Cell(int64_t{0}), Cell(),
       Cell(), Cell(), Cell(), Cell(5e-324), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(),
       Cell(), Cell(), Cell()},
      {Cell("9999-12-31T23:59:59.999999Z"), Cell(false), Cell(0), Cell(0), Cell(), Cell(0), Cell(int64_t{0}), Cell(),
       Cell(), Cell(), Cell(), Cell(-inf), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(),
       Cell(), Cell(), Cell()},
  };
}

}  // namespace tsyncd::e2e

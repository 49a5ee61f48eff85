// Parse rate of the Druid source's arrayLines parser on a typical wide row (8 columns: time,
// strings, integer, double, float, multi-value, JSON):
//
//   druid_parse_bench [rows] [repeats]     (defaults: 100000 rows, 20 repeats)
//
// Prints rows/s and MB/s of ArrayLinesBody::open + rows(), the work done per page.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sources/druid/druid.h"

int main(int argc, char** argv) {
  using namespace tsyncd;
  const size_t rows = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  std::string body =
      "[\"__time\",\"host\",\"region\",\"requests\",\"latency\",\"ratio\",\"tags\",\"payload\"]\n"
      "[\"LONG\",\"STRING\",\"STRING\",\"LONG\",\"DOUBLE\",\"FLOAT\",\"STRING\",\"COMPLEX<json>\"]\n"
      "[\"TIMESTAMP\",\"VARCHAR\",\"VARCHAR\",\"BIGINT\",\"DOUBLE\",\"FLOAT\",\"VARCHAR\",\"OTHER\"]\n";
  for (size_t i = 0; i < rows; ++i) {
    body += "[\"" + format_iso_time(1704067200000 + static_cast<int64_t>(i / 4) * 1000, TimeUnit::ms) +
            "\",\"host-" + std::to_string(i % 100) + "\",\"" + (i % 3 ? "us-east" : "eu-west") + "\"," +
            std::to_string(i * 7 % 1000003) + "," + std::to_string(0.5 + static_cast<double>(i) * 0.001) + "," +
            std::to_string(static_cast<double>(i % 1000) / 8) + "," + (i % 10 ? "\"a\"" : "\"[\\\"a\\\",\\\"b\\\"]\"") +
            ",\"{\\\"i\\\":" + std::to_string(i) + "}\"]\n";
  }
  body += "\n";
  const std::vector<ColumnType> types = {ColumnType::timestamp_ms, ColumnType::text,    ColumnType::text,
                                         ColumnType::int64,        ColumnType::float64, ColumnType::float32,
                                         ColumnType::text,         ColumnType::json};
  double best = 1e30;
  size_t parsed = 0;
  for (int r = 0; r < repeats; ++r) {
    std::string copy = body;
    auto start = std::chrono::steady_clock::now();
    auto b = druid::ArrayLinesBody::open(std::move(copy));
    if (!b) {
      std::fprintf(stderr, "%s\n", b.error().message.c_str());
      return 1;
    }
    auto out = b->rows(types, 0);
    if (!out) {
      std::fprintf(stderr, "%s\n", out.error().message.c_str());
      return 1;
    }
    parsed = out->size();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::printf("%zu rows, %.1f MB: best of %d: %.1f ms, %.0f rows/s, %.0f MB/s\n", parsed,
              static_cast<double>(body.size()) / 1e6, repeats, best * 1e3, static_cast<double>(parsed) / best,
              static_cast<double>(body.size()) / 1e6 / best);
  return 0;
}

// bench_download: benchmark (a), the floor set by the source. Downloads the pages one tsyncd sync
// would read (page_walk.h), parsing only each row's timestamp, and prints how long that took.
//
//   bench_download --port N [--host H] [--table T] [--page-size N]
//
// Output, one line: bench_download seconds=S cpu_seconds=C rows=R rows_read=R2 mb=M requests=Q
// (cpu_seconds: this client's CPU time, the server's is not in it; rows: rows tsyncd would write;
// rows_read: with the tie rows read twice; mb: JSON MiB received).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "page_walk.h"

namespace {

int usage(const std::string& why) {
  std::fprintf(stderr, "bench_download: %s\nusage: bench_download --port N [--host H] [--table T] [--page-size N]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tsyncd::bench::WalkOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + arg);
    if (!tsyncd::bench::set_walk_option(options, arg, argv[++i])) return usage("unknown option " + arg);
  }
  if (std::string problem = tsyncd::bench::check_walk_options(options); !problem.empty()) return usage(problem);

  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  auto totals = tsyncd::bench::walk_table(options, [](tsyncd::bench::Page&) { return tsyncd::ok_status(); });
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  if (!totals) {
    std::fprintf(stderr, "bench_download: %s\n", totals.error().message.c_str());
    return 1;
  }
  std::printf("bench_download seconds=%.3f cpu_seconds=%.3f rows=%lld rows_read=%lld mb=%.1f requests=%lld\n",
              elapsed.count(), cpu,
              static_cast<long long>(totals->rows_complete), static_cast<long long>(totals->rows_read),
              static_cast<double>(totals->body_bytes) / (1024.0 * 1024.0), static_cast<long long>(totals->requests));
  return 0;
}

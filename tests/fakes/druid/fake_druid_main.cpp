// fake_druid: the fake Druid as a standalone server for benchmarks and manual runs.
//
//   fake_druid --port N [--generate NAME:ROWS[:TIES]] [--user U --password P] [--seed S]
//              [--no-shuffle] [--segments-per-chunk N] [--segment-granularity-ms N]
//
// --generate creates datasource NAME with ROWS rows of a fixed mixed-type schema, TIES rows per
// millisecond (default 1), one millisecond group per second from 2024-01-01T00:00:00Z. Runs until
// SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fakes/druid/fake_druid.h"

namespace {

using tsyncd::Value;
using tsyncd::fakes::DruidColumn;
using tsyncd::fakes::DruidRow;
using tsyncd::fakes::FakeDruid;

int usage() {
  std::fprintf(stderr,
               "usage: fake_druid --port N [--generate NAME:ROWS[:TIES]] [--user U --password P] [--seed S]\n"
               "                  [--no-shuffle] [--segments-per-chunk N] [--segment-granularity-ms N]\n");
  return 2;
}

void generate(FakeDruid& druid, const std::string& spec) {
  const auto parts = tsyncd::split_list(spec, ':');
  if (parts.size() < 2) throw std::invalid_argument("--generate wants NAME:ROWS[:TIES]");
  const std::string& name = parts[0];
  const int64_t rows = std::stoll(parts[1]);
  const int64_t ties = parts.size() > 2 ? std::max<int64_t>(1, std::stoll(parts[2])) : 1;
  druid.create_datasource(name, {DruidColumn::varchar("host"), DruidColumn::varchar("region"),
                                 DruidColumn::bigint("requests"), DruidColumn::float64("latency"),
                                 DruidColumn::float32("ratio"), DruidColumn::varchar("tags"),
                                 DruidColumn::json("payload")});
  const int64_t start = 1704067200000;  // 2024-01-01T00:00:00Z
  constexpr int64_t kBatch = 100000;
  for (int64_t done = 0; done < rows; done += kBatch) {
    std::vector<DruidRow> batch;
    for (int64_t i = done; i < std::min(rows, done + kBatch); ++i) {
      DruidRow r;
      r.time = start + (i / ties) * 1000;
      r.values = {Value("host-" + std::to_string(i % 100)), Value(i % 3 == 0 ? "eu-west" : "us-east"),
                  Value(int64_t{i * 7 % 1000003}), Value(static_cast<double>(i) * 0.001 + 0.5),
                  Value(static_cast<double>(static_cast<float>(i % 1000) / 8.0f)),
                  Value(i % 10 == 0 ? std::string("[\"a\",\"b\"]") : std::string("a")),
                  Value("{\"i\":" + std::to_string(i) + "}")};
      batch.push_back(std::move(r));
    }
    druid.append(name, std::move(batch));
  }
}

}  // namespace

int main(int argc, char** argv) {
  tsyncd::fakes::FakeDruidOptions options;
  std::vector<std::string> generates;
  std::string user, password;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (arg == "--port") options.port = std::atoi(value().c_str());
    else if (arg == "--generate") generates.push_back(value());
    else if (arg == "--user") user = value();
    else if (arg == "--password") password = value();
    else if (arg == "--seed") options.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (arg == "--no-shuffle") options.shuffle_ties = false;
    else if (arg == "--segments-per-chunk") options.segments_per_time_chunk = std::atoi(value().c_str());
    else if (arg == "--segment-granularity-ms") options.segment_granularity_ms = std::atoll(value().c_str());
    else return usage();
  }
  if (!user.empty()) options.users[user] = password;

  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    FakeDruid druid(options);
    for (const std::string& g : generates) generate(druid, g);
    std::printf("fake_druid listening on 127.0.0.1:%d\n", druid.port());
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    druid.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake_druid: %s\n", e.what());
    return 1;
  }
  return 0;
}

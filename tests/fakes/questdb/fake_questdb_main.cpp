// fake_questdb: the fake QuestDB as a process, for the benchmark and manual runs.
//
//   fake_questdb --port N [--generate bench_1m|trades|big_100k]... [--rows N]
//                [--user U --password P]
//
// Prints the port it listens on (useful with --port 0) on one line, then serves until SIGTERM or
// SIGINT. --rows sets the size of bench_1m and big_100k. `trades` creates trades_nowal and
// trades_wal as after setup.sql (360 rows each plus the late tie row 9001).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fakes/questdb/fake_questdb.h"
#include "fakes/questdb/generators.h"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "fake_questdb: %s\nusage: fake_questdb --port N [--generate bench_1m|trades|big_100k]... "
               "[--rows N] [--user U --password P]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tsyncd::fakes;
  FakeQuestDbOptions options;
  std::vector<std::string> sets;
  long long rows = -1;
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--port") {
      options.port = std::atoi(value.c_str());
      have_port = true;
    } else if (arg == "--generate") {
      sets.push_back(value);
    } else if (arg == "--rows") {
      rows = std::atoll(value.c_str());
    } else if (arg == "--user") {
      options.user = value;
    } else if (arg == "--password") {
      options.password = value;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (!have_port) return usage("--port is required (0 picks a free port)");

  // Block the stop signals before any thread starts so that only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    FakeQuestDb db(options);
    for (const auto& set : sets) {
      tsyncd::Status s = tsyncd::ok_status();
      if (set == "bench_1m") s = generate_bench(db, "bench_1m", rows > 0 ? rows : 1000000);
      else if (set == "big_100k") s = generate_big(db, "big_100k", rows > 0 ? rows : 100000);
      else if (set == "trades") {
        s = generate_trades(db, "trades_nowal", true, default_trade_symbol);
        if (s) s = generate_trades(db, "trades_wal", true, default_trade_symbol);
      } else {
        return usage(("unknown data set " + set).c_str());
      }
      if (!s) {
        std::fprintf(stderr, "fake_questdb: %s: %s\n", set.c_str(), s.error().message.c_str());
        return 1;
      }
    }
    std::printf("%d\n", db.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake_questdb: %s\n", e.what());
    return 1;
  }
  return 0;
}

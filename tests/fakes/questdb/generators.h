// Deterministic data sets shaped like the tables of shared/fixtures/questdb/setup.sql, for the
// benchmark, manual runs of `fake_questdb` and tests. Same arguments, same rows, every run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/core.h"
#include "fakes/questdb/fake_questdb.h"

namespace tsyncd::fakes {

// bench_1m (ts TIMESTAMP, sym SYMBOL, i LONG, d DOUBLE, s VARCHAR), designated ts: the first
// fifth of the rows in tie groups of 1000 rows one second apart from 2024-01-01T00:00:00, the
// rest one row per 0.5 s from 2024-01-01T01:00:00; i = 1..rows; 100 symbols of 4-8 letters,
// d in [0, 1), s 5-20 characters (some non-ASCII, some needing JSON escapes).
Status generate_bench(FakeQuestDb& db, const std::string& table = "bench_1m", int64_t rows = 1000000);

// trades_nowal-like (ts TIMESTAMP, sym SYMBOL INDEX, price DOUBLE, qty LONG, id LONG): id x =
// 1..360, ts = 2024-01-01 + ((x - 1) / 5) hours (5-row tie groups), price round(100 + x / 10.0, 2),
// qty 10x, sym from `symbol_of(x)`. With `late_row`, then the row (01:00, 'ZZZ', 1.0, 1, 9001).
Status generate_trades(FakeQuestDb& db, const std::string& table, bool late_row,
                       const std::function<std::string(int64_t id)>& symbol_of);
// The default symbols: 'AAA', 'BBB' or 'CCC', picked by a hash of the id.
std::string default_trade_symbol(int64_t id);

// big_100k (ts TIMESTAMP, i LONG, sym SYMBOL, d DOUBLE): i = 1..rows, ts = 2024-01-01 + (i - 1)
// seconds (F:710); sym and d are NULL (their recorded values are random and unknown).
Status generate_big(FakeQuestDb& db, const std::string& table = "big_100k", int64_t rows = 100000);

}  // namespace tsyncd::fakes

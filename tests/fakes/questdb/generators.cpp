#include "fakes/questdb/generators.h"

#include <cmath>

namespace tsyncd::fakes {
namespace {

constexpr int64_t kJan1 = 1704067200000000;  // 2024-01-01T00:00:00Z in microseconds
constexpr int64_t kSecond = 1000000;
constexpr size_t kBatch = 10000;  // rows per insert, to keep the cells of a batch small

// SplitMix64: a tiny deterministic generator; each data set owns one.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

std::string random_text(Random& r, size_t min_len, size_t max_len) {
  static constexpr const char* kSpecial[] = {"é", "ü", "✓", "日", "\"", "\\"};
  size_t n = min_len + r.below(max_len - min_len + 1);
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    size_t pick = r.below(64);
    if (pick < 52) s += static_cast<char>(pick < 26 ? 'a' + pick : 'A' + pick - 26);
    else if (pick < 62) s += static_cast<char>('0' + pick - 52);
    else s += kSpecial[r.below(std::size(kSpecial))];
  }
  return s;
}

Status flush(FakeQuestDb& db, const std::string& table, std::vector<CellRow>& batch) {
  auto s = db.insert(table, batch);
  batch.clear();
  return s;
}

}  // namespace

Status generate_bench(FakeQuestDb& db, const std::string& table, int64_t rows) {
  TableSpec spec{table,
                 {{"ts", "TIMESTAMP"}, {"sym", "SYMBOL"}, {"i", "LONG"}, {"d", "DOUBLE"}, {"s", "VARCHAR"}},
                 "ts"};
  if (auto s = db.create_table(spec); !s) return s;
  Random r(1);
  std::vector<std::string> symbols;
  for (int i = 0; i < 100; ++i) {
    std::string sym;
    size_t n = 4 + r.below(5);
    for (size_t k = 0; k < n; ++k) sym += static_cast<char>('A' + r.below(26));
    symbols.push_back(sym);
  }
  int64_t tied = rows / 5;
  std::vector<CellRow> batch;
  for (int64_t x = 1; x <= rows; ++x) {
    int64_t ts = x <= tied ? kJan1 + (x - 1) / 1000 * kSecond : kJan1 + 3600 * kSecond + (x - tied - 1) * kSecond / 2;
    batch.push_back({ts, symbols[r.below(symbols.size())], x, r.unit(), random_text(r, 5, 20)});
    if (batch.size() == kBatch)
      if (auto s = flush(db, table, batch); !s) return s;
  }
  return flush(db, table, batch);
}

std::string default_trade_symbol(int64_t id) {
  static constexpr const char* kSymbols[] = {"AAA", "BBB", "CCC"};
  return kSymbols[Random(static_cast<uint64_t>(id)).below(3)];
}

Status generate_trades(FakeQuestDb& db, const std::string& table, bool late_row,
                       const std::function<std::string(int64_t id)>& symbol_of) {
  TableSpec spec{table,
                 {{"ts", "TIMESTAMP"}, {"sym", "SYMBOL", false, true}, {"price", "DOUBLE"}, {"qty", "LONG"}, {"id", "LONG"}},
                 "ts"};
  if (auto s = db.create_table(spec); !s) return s;
  std::vector<CellRow> rows;
  for (int64_t x = 1; x <= 360; ++x) {
    // QuestDB's round(v, 2) multiplies back by 0.01, which gives 100.60000000000001 for x = 6 (F:118).
    double price = std::round((100 + static_cast<double>(x) / 10.0) * 100) * 0.01;
    rows.push_back({kJan1 + (x - 1) / 5 * 3600 * kSecond, symbol_of(x), price, x * 10, x});
  }
  if (auto s = db.insert(table, rows); !s) return s;
  if (!late_row) return ok_status();
  return db.insert(table, {{kJan1 + 3600 * kSecond, "ZZZ", 1.0, int64_t{1}, int64_t{9001}}});
}

Status generate_big(FakeQuestDb& db, const std::string& table, int64_t rows) {
  TableSpec spec{table, {{"ts", "TIMESTAMP"}, {"i", "LONG"}, {"sym", "SYMBOL"}, {"d", "DOUBLE"}}, "ts"};
  if (auto s = db.create_table(spec); !s) return s;
  std::vector<CellRow> batch;
  for (int64_t i = 1; i <= rows; ++i) {
    batch.push_back({kJan1 + (i - 1) * kSecond, i, nullptr, nullptr});
    if (batch.size() == kBatch)
      if (auto s = flush(db, table, batch); !s) return s;
  }
  return flush(db, table, batch);
}

}  // namespace tsyncd::fakes

// Which chunks a source rewrote between two syncs (see Source::chunk_versions).
#include <xxhash.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <sstream>

#include "sync.h"

namespace tsyncd {

std::string encode_chunk_versions(const std::vector<ChunkVersion>& chunks) {
  // Versions are the server's text; a hash keeps the stored form to plain tokens whatever it holds.
  std::string out;
  char line[96];
  for (const ChunkVersion& c : chunks) {
    const uint64_t hash = XXH3_64bits(c.version.data(), c.version.size());
    std::snprintf(line, sizeof line, "%" PRId64 " %" PRId64 " %016" PRIx64 "\n", c.start, c.end, hash);
    out += line;
  }
  return out;
}

std::optional<std::vector<ChunkVersion>> decode_chunk_versions(const std::string& text) {
  std::vector<ChunkVersion> chunks;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    ChunkVersion c;
    std::istringstream fields(line);
    if (!(fields >> c.start >> c.end >> c.version) || c.end <= c.start) return std::nullopt;
    chunks.push_back(std::move(c));
  }
  return chunks;
}

std::vector<TimeRange> changed_chunks(const std::vector<ChunkVersion>& before, const std::vector<ChunkVersion>& now) {
  std::map<std::pair<int64_t, int64_t>, std::string> old_versions, new_versions;
  for (const ChunkVersion& c : before) old_versions[{c.start, c.end}] = c.version;
  for (const ChunkVersion& c : now) new_versions[{c.start, c.end}] = c.version;
  std::vector<TimeRange> changed;
  // A chunk that appeared or got another version holds rows the destination may lack; one that
  // vanished (dropped, marked unused, emptied) holds rows the destination must lose.
  for (const auto& [interval, version] : new_versions) {
    auto it = old_versions.find(interval);
    if (it == old_versions.end() || it->second != version) changed.push_back({interval.first, interval.second, false});
  }
  for (const auto& [interval, version] : old_versions)
    if (!new_versions.count(interval)) changed.push_back({interval.first, interval.second, false});
  std::sort(changed.begin(), changed.end(), [](const TimeRange& a, const TimeRange& b) { return a.lo < b.lo; });
  std::vector<TimeRange> merged;
  for (const TimeRange& r : changed) {
    if (!merged.empty() && r.lo <= merged.back().hi) merged.back().hi = std::max(merged.back().hi, r.hi);
    else merged.push_back(r);
  }
  return merged;
}

}  // namespace tsyncd

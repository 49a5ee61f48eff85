// connector: one entry of "connectors": its name, type, schedule and "configuration" object.
//
// Private to src/config. The "configuration" object accepts the seed connectors' configuration.json
// unchanged (numbers and booleans may be strings), plus tsyncd's own connection keys.
#pragma once

#include <optional>

#include "config/config.h"
#include "config/files.h"
#include "config/json_reader.h"

namespace tsyncd::config_detail {

// Pages are capped where Druid's ordered scan stops working (and QuestDB pages stay reasonable).
constexpr int64_t kMaxPageSize = 100000;

// Scheduling keys as written on a connector or in "defaults"; absent ones fall back further.
struct Schedule {
  std::optional<Duration> sync_every;
  std::optional<Duration> lookback;
  std::optional<Duration> settle;
  std::optional<int64_t> page_size;
};

// Reads sync_every, lookback, settle and page_size from `object` (a connector or "defaults").
Schedule read_schedule(ObjectReader& object);

// Reads and checks one connector. Problems go to the reader's Problems; the returned config holds
// whatever was valid (name uniqueness across connectors is the caller's check).
ConnectorConfig read_connector(ObjectReader& connector, const Schedule& defaults,
                               const FilePlaces& places);

}  // namespace tsyncd::config_detail

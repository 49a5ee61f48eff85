// Reads a recorded /exec answer (a fixture's JSON body) back into a table definition and typed
// cells, so that tests load the fake with exactly the data a real QuestDB returned instead of
// hand-copied values.
#pragma once

#include <string>
#include <string_view>

#include "core/core.h"
#include "fakes/questdb/fake_questdb.h"

namespace tsyncd::fakes {

struct RecordedResult {
  TableSpec table;  // columns and types as reported; designated from "timestamp" (-1: none)
  std::vector<CellRow> rows;
};

// What QuestDB renders identically for NULL and a value is read as NULL: BINARY `[]` (its bytes
// are never sent) and LONG256 `""`.
Result<RecordedResult> parse_recorded_result(std::string_view json, std::string table_name);

}  // namespace tsyncd::fakes

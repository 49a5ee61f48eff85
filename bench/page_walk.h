// page_walk: the page reads tsyncd makes over one QuestDB table (architecture section 4), done
// with nothing but cpp-httplib and simdjson, so the benchmark can time the download on its own
// and load exactly the rows tsyncd writes.
//
// Same requests as tsyncd's QuestDB source: table_columns('t'), the bounds query, then keyset
// pages `WHERE ts >= lo AND ts <= hi ORDER BY ts LIMIT page_size` (sources/questdb/sql.cpp).
// Same tie logic as sync/table_sync.cpp: a full page is complete only below its last timestamp t
// and the next page starts at t inclusive; a page holding one timestamp only is re-read as that
// tie group alone, without a limit, and the walk goes on after it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd::bench {

struct WalkOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // required
  std::string table = "bench_1m";
  size_t page_size = 10000;
};

// Applies one of the walk's command-line options (--host, --port, --table, --page-size) to
// `options`; false when `flag` is none of them. check_walk_options() says what is missing or
// invalid ("" when nothing is).
bool set_walk_option(WalkOptions& options, const std::string& flag, const std::string& value);
std::string check_walk_options(const WalkOptions& options);

// A column as table_columns() describes it.
struct SourceColumn {
  std::string name;
  std::string type;  // QuestDB's type name
};

// One answered page query.
struct Page {
  const std::vector<SourceColumn>& columns;  // the select list, as each row holds its values
  std::string& body;                         // the JSON answer (the callback may parse it in place)
  const std::vector<int64_t>& ts;            // every row's timestamp, in the time column's native unit
  size_t complete;  // the first `complete` rows are final: tsyncd writes them in one transaction;
                    // the rest lie at the page's last timestamp and are read again by the next page
};

struct WalkTotals {
  std::vector<SourceColumn> columns;  // in select-list order, as the pages hold them
  int64_t requests = 0;               // all queries, discovery and bounds included
  int64_t body_bytes = 0;             // JSON bytes received (de-chunked), all queries
  int64_t rows_read = 0;              // rows in all pages, re-read tie rows included
  int64_t rows_complete = 0;          // rows tsyncd would write
  int64_t transactions = 0;           // pages with complete rows: tsyncd's replace_range calls
};

// Reads the table the way one first sync of tsyncd does, over one keep-alive connection, and
// calls `on_page` for every page answer in order. Stops at the first error (HTTP, JSON, or the
// callback's own).
Result<WalkTotals> walk_table(const WalkOptions& options, const std::function<Status(Page&)>& on_page);

}  // namespace tsyncd::bench

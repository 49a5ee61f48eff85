// The SQLite destination (private to src/destinations; open_destination() is the public way in).
//
// One SQLite connection per object, in WAL mode with synchronous=FULL: the state store commits a
// cursor only after replace_range() has committed here, and FULL makes that commit durable before
// the cursor is, so even a power loss can only make tsyncd re-read, never skip. Several objects
// (one per worker thread) may share one file; writers wait for each other up to 30 s.
#pragma once

#include <memory>

#include "destinations/destinations.h"

namespace tsyncd {

Result<std::unique_ptr<Destination>> make_sqlite_destination(const DestinationOptions& options);

}  // namespace tsyncd

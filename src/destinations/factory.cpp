#include "destinations.h"
#include "postgres/postgres_destination.h"
#include "sqlite/sqlite_destination.h"

namespace tsyncd {

Result<std::unique_ptr<Destination>> open_destination(const DestinationOptions& options) {
  if (options.type == "sqlite") return make_sqlite_destination(options);
  if (options.type == "postgres") return make_postgres_destination(options);
  return make_error(ErrorKind::config, "destination.type: unknown destination '" + options.type +
                                           "' (expected sqlite or postgres)");
}

}  // namespace tsyncd

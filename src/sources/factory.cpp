#include "druid/druid.h"
#include "questdb/questdb.h"
#include "sources.h"

namespace tsyncd {

Result<std::unique_ptr<Source>> make_source(const SourceOptions& options) {
  if (options.type == "questdb") return make_questdb_source(options);
  if (options.type == "druid") return make_druid_source(options);
  return make_error(ErrorKind::config, "connector '" + options.connector + "': unknown type '" + options.type +
                                           "' (expected questdb or druid)");
}

}  // namespace tsyncd

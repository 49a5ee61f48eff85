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

Result<std::unique_ptr<Destination>> DestinationPool::take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Destination> destination = std::move(idle_.back());
      idle_.pop_back();
      return destination;
    }
  }
  return open_destination(options_);  // outside the lock: connecting may take a while
}

void DestinationPool::give_back(std::unique_ptr<Destination> destination, bool reuse) {
  if (!reuse || destination == nullptr) return;
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(destination));
}

}  // namespace tsyncd

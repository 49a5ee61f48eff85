// The PostgreSQL destination (private to src/destinations; open_destination() is the public way in).
//
// Layout: schema "<connector>", table "<table>", the user's columns typed by postgres_column_type()
// followed by tsyncd's four columns (destinations.h). replace_range() is one transaction per page:
// DELETE the range, then COPY the rows straight into the table, so a page costs about what a plain
// COPY of its rows costs, and a failure anywhere rolls the whole page back.
#pragma once

#include <memory>

#include "destinations/destinations.h"

namespace tsyncd {

// Connects with options.dsn plus options.password (passed as a separate libpq parameter, never
// pasted into the DSN or a message). Fails with a `destination` error when the server is
// unreachable or rejects the credentials.
Result<std::unique_ptr<Destination>> make_postgres_destination(const DestinationOptions& options);

}  // namespace tsyncd

#include "destinations/postgres/pg_names.h"

#include <array>
#include <utility>

namespace tsyncd::postgres {

// NAMEDATALEN - 1 in a default PostgreSQL build.
constexpr size_t kMaxIdentifierBytes = 63;

std::string qualified_name(std::string_view schema, std::string_view table) {
  return quote_identifier(schema) + "." + quote_identifier(table);
}

Status check_identifier(std::string_view what, std::string_view name) {
  const std::string shown = std::string(what) + " " + json_quote(name);
  if (name.empty()) return make_error(ErrorKind::config, std::string(what) + " name is empty");
  if (name.find('\0') != std::string_view::npos)
    return make_error(ErrorKind::config, shown + " contains a NUL byte, which PostgreSQL names cannot hold");
  if (name.size() > kMaxIdentifierBytes)
    return make_error(ErrorKind::config,
                      shown + " is " + std::to_string(name.size()) +
                          " bytes long; PostgreSQL names are limited to 63 bytes and longer ones would be "
                          "truncated (rename it, or exclude it)");
  return ok_status();
}

Status check_schema_name(std::string_view connector) {
  if (Status status = check_identifier("connector", connector); !status) return status;
  if (connector.substr(0, 3) == "pg_")
    return make_error(ErrorKind::config, "connector " + json_quote(connector) +
                                             ": PostgreSQL reserves schema names starting with \"pg_\"; "
                                             "choose another connector name");
  return ok_status();
}

std::string canonical_type_name(std::string_view type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kAliases = {{
      {"timestamptz", "timestamp with time zone"},
      {"timestamp", "timestamp without time zone"},
      {"bool", "boolean"},
      {"int2", "smallint"},
      {"int4", "integer"},
      {"int", "integer"},
      {"int8", "bigint"},
      {"float4", "real"},
      {"float8", "double precision"},
      {"decimal", "numeric"},
  }};
  for (const auto& [alias, canonical] : kAliases)
    if (type == alias) return std::string(canonical);
  if (type.substr(0, 8) == "decimal(") return "numeric" + std::string(type.substr(7));
  return std::string(type);
}

}  // namespace tsyncd::postgres

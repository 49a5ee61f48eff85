// Names and type names as PostgreSQL sees them.
//
// Every schema, table and column name is double-quoted, so any UTF-8 name works as is (spaces,
// quotes, unicode, keywords). Two limits remain, and both are config errors instead of silent
// changes: PostgreSQL truncates identifiers longer than 63 bytes (two long names could collide),
// and it reserves schema names starting with "pg_".
#pragma once

#include <string>
#include <string_view>

#include "core/core.h"

namespace tsyncd::postgres {


// "schema"."table"
std::string qualified_name(std::string_view schema, std::string_view table);

// A `config` error naming `what` (e.g. "connector", "table trades column") when `name` cannot be
// a PostgreSQL identifier: empty, a NUL byte, or longer than 63 bytes.
Status check_identifier(std::string_view what, std::string_view name);

// A `config` error when a schema name is reserved by PostgreSQL ("pg_..."), on top of
// check_identifier().
Status check_schema_name(std::string_view connector);

// The spelling format_type() gives for a type name written the short way ("timestamptz" ->
// "timestamp with time zone"), so a declared type can be compared with an existing column's.
std::string canonical_type_name(std::string_view type);

}  // namespace tsyncd::postgres

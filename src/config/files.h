// files: the files a config names (secrets, CA bundle, databases), resolved where an operator
// would expect them.
//
// Private to src/config. Relative paths are relative to the config file's directory, not to the
// process's working directory (under systemd that is "/"). Secret files may also come from
// systemd's LoadCredential=, which puts them in $CREDENTIALS_DIRECTORY under a bare name.
#pragma once

#include <optional>
#include <string>

#include "config/json_reader.h"

namespace tsyncd::config_detail {

struct FilePlaces {
  std::string base_dir;         // the config file's directory; empty: the working directory
  std::string credentials_dir;  // $CREDENTIALS_DIRECTORY; empty when not run with credentials
};

// An absolute path unchanged, a relative one joined to base_dir.
std::string resolve_path(const std::string& path, const FilePlaces& places);

// Reads the secret named by the *_file key at `key_path` (value `name`): an absolute path, or a
// name looked up in credentials_dir first and then relative to base_dir. One trailing newline is
// removed. Records a problem (naming the key and the path, never the content) when the file is
// missing, unreadable, too large or empty.
std::optional<std::string> read_secret_file(const std::string& key_path, const std::string& name,
                                            const FilePlaces& places, Problems& problems);

// Records a problem when `path` (already resolved) is not a readable regular file.
bool check_readable_file(const std::string& key_path, const std::string& path, Problems& problems);

}  // namespace tsyncd::config_detail

// Log setup shared by every command: stderr, with sd-daemon priority prefixes ("<6>") when
// systemd connected stderr to the journal, timestamps otherwise.
#pragma once

#include <string>

namespace tsyncd {

// Returns false (and keeps "info") for an unknown level name.
bool setup_logging(const std::string& level);

}  // namespace tsyncd

#include "core.h"

namespace tsyncd {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::config: return "config";
    case ErrorKind::auth: return "auth";
    case ErrorKind::query: return "query";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::transient: return "transient";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::destination: return "destination";
    case ErrorKind::state: return "state";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

Error Error::with_context(std::string_view context) const {
  Error out = *this;
  out.message = std::string(context) + ": " + message;
  return out;
}

}  // namespace tsyncd

// Druid's error answers (druid.md 5, 6 and 9.9): which are worth retrying, which fail the table,
// which fail the connector, each with the server's own message.
#include <simdjson.h>

#include "sources/druid/druid.h"

namespace tsyncd::druid {
namespace {

// The fields of Druid's error envelopes that classify an error; empty when absent.
struct Envelope {
  std::string error;     // legacy code ("Query timeout", "Resource limit exceeded") or "druidException"
  std::string category;  // INVALID_INPUT, RUNTIME_FAILURE, ... (>= 27)
  std::string message;   // errorMessage
  bool json = false;
};

Envelope read_envelope(const std::string& body) {
  Envelope e;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body).get_object().get(obj)) return e;
  e.json = true;
  std::string_view text;
  if (!obj["error"].get_string().get(text)) e.error = std::string(text);
  if (!obj["category"].get_string().get(text)) e.category = std::string(text);
  if (!obj["errorMessage"].get_string().get(text)) e.message = std::string(text);
  // 403 bodies of druid-basic-security: {"Access-Check-Result":"Unauthorized"}
  if (e.message.empty() && !obj["Access-Check-Result"].get_string().get(text))
    e.message = "Access-Check-Result: " + std::string(text);
  return e;
}

// The title of an HTML error page (Jetty's 401 for a wrong password), or an excerpt of other text.
std::string page_text(const std::string& body) {
  const size_t open = body.find("<title>");
  const size_t close = body.find("</title>");
  if (open != std::string::npos && close != std::string::npos && close > open)
    return trim(std::string_view(body).substr(open + 7, close - open - 7));
  return trim(std::string_view(body).substr(0, 200));
}

bool mentions_content_type(std::string_view message) {
  return message.find("Content-Type") != std::string_view::npos;
}

}  // namespace

Status check_response_context(std::string_view header_value) {
  if (trim(header_value).empty()) return ok_status();
  simdjson::dom::parser parser;
  simdjson::dom::object context;
  simdjson::padded_string padded(header_value);
  if (parser.parse(padded).get_object().get(context))
    return make_error(ErrorKind::protocol, "Druid answer: unreadable X-Druid-Response-Context: " +
                                               std::string(header_value.substr(0, 200)));
  simdjson::dom::array missing;
  if (!context["missingSegments"].get_array().get(missing) && missing.size() > 0)
    return make_error(ErrorKind::protocol, "Druid answer is partial: " + std::to_string(missing.size()) +
                                               " segment(s) were not available (missingSegments); retrying later");
  bool truncated = false;
  if (!context["truncated"].get_bool().get(truncated) && truncated)
    return make_error(ErrorKind::protocol,
                      "Druid answer: the response context was truncated, so missing segments cannot be ruled out");
  return ok_status();
}

Failure classify_failure(const HttpOptions& http, const HttpResponse& response, std::string_view datasource) {
  const Envelope e = read_envelope(response.body);
  std::string said = e.message;
  if (said.empty() && !e.error.empty()) said = e.error;
  if (!e.json) said = page_text(response.body);
  const std::string ds = "datasource '" + std::string(datasource) + "'";

  Failure f{error_for_status(http, response, said)};
  switch (response.status) {
    case 401:
    case 403:
      f.error.message += " (reading " + ds + ")";
      return f;
    case 400:
      if (said.rfind("Object '", 0) == 0 && said.find("' not found") != std::string::npos) {
        // Also what a datasource whose segments are all unavailable looks like: never a reason to
        // delete synced rows, so the table fails until it is back.
        f.error = make_error(ErrorKind::not_found, http.what + ": " + ds + " not found (Druid: " + said + ")");
      } else if (e.error == "Resource limit exceeded") {
        f.error = make_error(ErrorKind::query, http.what + ": Druid refused the query on " + ds +
                                                   " (resource limit exceeded): " + said);
      } else if (mentions_content_type(said)) {
        f.error = make_error(ErrorKind::query, http.what + ": Druid rejected the request's Content-Type (" + said +
                                                   "); tsyncd sends exactly 'application/json', so a proxy may be "
                                                   "rewriting it");
      } else {
        f.error.kind = ErrorKind::query;
      }
      return f;
    case 415:
      f.error = make_error(ErrorKind::query, http.what + ": Druid rejected the request's Content-Type (HTTP 415: " +
                                                 said + "); tsyncd sends exactly 'application/json'");
      return f;
    case 500:
      // RUNTIME_FAILURE, CANCELED, TIMEOUT and non-JSON Router errors are server trouble. UNCATEGORIZED
      // and DEFENSIVE may be the query's own fault ("/ by zero").
      f.error.kind = ErrorKind::transient;
      f.maybe_user_error = e.category == "UNCATEGORIZED" || e.category == "DEFENSIVE";
      return f;
    case 404:
      f.error = make_error(ErrorKind::query, http.what + ": HTTP 404 for /druid/v2/sql: is this a Druid Router or "
                                                         "Broker?");
      return f;
    case 501: f.error.kind = ErrorKind::query; return f;
    default: return f;  // 429/502/503/504 transient, 404 not_found, others query: as error_for_status says
  }
}

}  // namespace tsyncd::druid

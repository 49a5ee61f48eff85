// The recorded Druid exchanges of shared/fixtures/druid (format in its README), for the Druid
// suites. DRUID_FIXTURES_DIR is set by meson.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

namespace tsyncd::druid_test {

using HeaderList = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct Recording {
  std::string file;
  std::string method, path;
  HeaderList request_headers;
  bool has_request_body = false;
  std::string request_body;
  int status = 0;
  HeaderList response_headers;
  std::string response_body;
};

inline std::string fixture_path(const std::string& file) { return std::string(DRUID_FIXTURES_DIR) + "/" + file; }

inline HeaderList read_headers(simdjson::dom::object headers) {
  HeaderList out;
  for (auto field : headers) {
    std::vector<std::string> values;
    for (simdjson::dom::element v : field.value.get_array()) values.emplace_back(std::string_view(v.get_string()));
    out.emplace_back(std::string(field.key), std::move(values));
  }
  return out;
}

// Loads one fixture file by name, e.g. "druid-36.0.0-014-post--druid-v2-sql.json". Throws when it
// cannot be read (a test setup error).
inline Recording load_recording(const std::string& file) {
  std::ifstream in(fixture_path(file), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(simdjson::padded_string(ss.str()));
  Recording r;
  r.file = file;
  simdjson::dom::object req = doc["request"];
  r.method = std::string(std::string_view(req["method"]));
  r.path = std::string(std::string_view(req["path"]));
  r.request_headers = read_headers(req["header"]);
  std::string_view body;
  if (!req["body"].get_string().get(body)) {
    r.has_request_body = true;
    r.request_body = std::string(body);
  }
  simdjson::dom::object resp = doc["response"];
  r.status = static_cast<int>(int64_t(resp["status"]));
  r.response_headers = read_headers(resp["header"]);
  r.response_body = std::string(std::string_view(resp["body"]));
  return r;
}

}  // namespace tsyncd::druid_test

// json_reader: typed, key-path-aware reading of a JSON config over the simdjson DOM.
//
// Private to src/config. Validation must report every problem at once, so nothing here stops
// at the first error: each reader records a problem (prefixed by the value's key path, e.g.
// "connectors[0].configuration.port") in a shared Problems list and returns nullopt, and the
// caller simply moves on. Values that may be secrets are described by their JSON type only, so
// a password can never reach a message.
#pragma once

#include <simdjson.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace tsyncd::config_detail {

// Everything wrong with a config, one line per problem.
class Problems {
 public:
  // `path` is the key path of the offending value; empty for the document as a whole.
  void add(std::string_view path, std::string_view message);
  bool empty() const { return lines_.empty(); }
  std::string text() const { return join(lines_, "\n"); }

 private:
  std::vector<std::string> lines_;
};

// Key paths: "connectors" + "[0]" + ".configuration". Keys that are not plain identifiers are
// quoted (`a["odd key"]`) so that a path stays on one line and unambiguous.
std::string member_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, size_t index);

// Whether a value may be shown in messages. Secrets are described by their JSON type only.
enum class Shown { value, type_only };

// "\"90a\"", "70000", "true", "an object"; at most ~60 characters.
std::string describe(simdjson::dom::element value, Shown shown = Shown::value);

// Value readers. Each checks one value found at `path`; on a problem it records it and returns
// nullopt.
std::optional<std::string> read_string(simdjson::dom::element value, const std::string& path,
                                       Problems& problems, Shown shown = Shown::value);
// A JSON integer or a string of digits (the seed configs write "port": "9000"), in min..max.
// `max_note` explains the upper bound; it is added when the value is above it.
std::optional<int64_t> read_integer(simdjson::dom::element value, const std::string& path,
                                    Problems& problems, int64_t min, int64_t max,
                                    std::string_view max_note = {});
// true/false, or the strings "true"/"false".
std::optional<bool> read_boolean(simdjson::dom::element value, const std::string& path,
                                 Problems& problems);
// A duration string with a unit ("30s"), within min..max (max 0: unbounded).
std::optional<Duration> read_duration(simdjson::dom::element value, const std::string& path,
                                      Problems& problems, Duration min, Duration max = Duration(0));
// A comma-separated string or an array of strings; non-empty, no duplicates. `item` names an
// element in messages ("table", "column").
std::optional<std::vector<std::string>> read_list(simdjson::dom::element value,
                                                  const std::string& path, Problems& problems,
                                                  std::string_view item);

// One JSON object under validation: its members by name, each read with the readers above and
// reported under the member's key path.
class ObjectReader {
 public:
  ObjectReader(simdjson::dom::object object, std::string path, Problems& problems);

  // The object at `value`, or nullopt (and a problem) when it is not an object.
  static std::optional<ObjectReader> from(simdjson::dom::element value, std::string path,
                                          Problems& problems);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return member_path(path_, key); }
  Problems& problems() const { return *problems_; }

  bool has(std::string_view key) const { return get(key).has_value(); }
  std::optional<simdjson::dom::element> get(std::string_view key) const;

  // Records "<path>.<key>: required (<what>)" when the key is absent; returns whether present.
  bool require(std::string_view key, std::string_view what);

  // Absent keys give nullopt without a problem.
  std::optional<std::string> string(std::string_view key, Shown shown = Shown::value);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max,
                                 std::string_view max_note = {});
  std::optional<bool> boolean(std::string_view key);
  std::optional<Duration> duration(std::string_view key, Duration min, Duration max = Duration(0));
  std::optional<std::vector<std::string>> list(std::string_view key, std::string_view item);
  std::optional<ObjectReader> object(std::string_view key);

  // Reports every member whose key is not in `known`: with the message in `hints` when there is
  // one (a key that belongs elsewhere), else "unknown key" and a "did you mean" for a known key
  // within edit distance 2. Also reports keys given twice (JSON allows it; a config should not).
  void check_keys(const std::vector<std::string_view>& known,
                  const std::map<std::string_view, std::string>& hints = {});

 private:
  simdjson::dom::object object_;
  std::string path_;
  Problems* problems_;
};

// Parses JSON text into a DOM owned by `parser`. On a syntax error returns a message with the
// line and column when they can be found, and never an excerpt of the text (it may hold a secret).
Result<simdjson::dom::element> parse_json(simdjson::dom::parser& parser,
                                          const simdjson::padded_string& text);

}  // namespace tsyncd::config_detail

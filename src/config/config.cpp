// The top level of the config file: state_path, destination, status, defaults, max_parallel,
// log_level and the list of connectors (read in connector.cpp).
#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "config/connector.h"
#include "config/files.h"
#include "config/json_reader.h"

namespace tsyncd {

const ConnectorConfig* Config::find_connector(std::string_view name) const {
  for (const ConnectorConfig& connector : connectors)
    if (connector.name == name) return &connector;
  return nullptr;
}

namespace config_detail {
namespace {

const std::vector<std::string_view> kTopLevelKeys = {
    "state_path", "destination", "status", "defaults", "max_parallel", "log_level", "connectors"};
constexpr const char* kDefaultSqlitePath = "/var/lib/tsyncd/tsyncd.db";
const std::vector<std::string_view> kLogLevels = {"trace", "debug", "info", "warn", "error"};

// A seed configuration.json pasted as the whole file is the likely mistake behind these keys.
std::map<std::string_view, std::string> seed_key_hints() {
  std::map<std::string_view, std::string> hints;
  for (std::string_view key :
       {"host", "port", "username", "password", "password_file", "tables", "datasources",
        "batch_size", "timestamp_column", "tls", "ca_file", "tls_verify", "key_columns", "timeout"})
    hints[key] =
        "is a connector key: put a seed configuration.json under "
        "connectors[].configuration";
  for (std::string_view key : {"sync_every", "lookback", "settle", "page_size"})
    hints[key] = "belongs in \"defaults\" or on a connector";
  return hints;
}

// "host:port" where host is an IPv4 literal, a bracketed IPv6 literal or localhost. The status
// endpoint is an operator's tool: binding to a name that DNS could move is not wanted.
bool parse_listen(std::string_view text, StatusConfig& status) {
  std::string host;
  std::string_view port;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return false;
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    in6_addr address;
    if (inet_pton(AF_INET6, host.c_str(), &address) != 1) return false;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    in_addr address;
    if (host != "localhost" && inet_pton(AF_INET, host.c_str(), &address) != 1) return false;
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  int number = std::stoi(std::string(port));
  if (number > 65535) return false;
  status.host = std::move(host);
  status.port = number;
  return true;
}

// libpq accepts a password in the keyword form ("password=...") and in a URI ("user:pw@host" or
// "?password=..."). Either would put the secret wherever the DSN is shown.
bool dsn_has_password(std::string_view dsn) {
  std::string lower(dsn);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (size_t at = lower.find("password"); at != std::string::npos;
       at = lower.find("password", at + 1)) {
    size_t next = lower.find_first_not_of(" \t", at + 8);
    if (next != std::string::npos && lower[next] == '=') return true;
  }
  size_t scheme = lower.find("://");
  if (scheme == std::string::npos) return false;
  std::string_view rest = std::string_view(lower).substr(scheme + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  size_t at = authority.rfind('@');
  return at != std::string_view::npos &&
         authority.substr(0, at).find(':') != std::string_view::npos;
}

void read_destination(ObjectReader& in, DestinationConfig& destination, const FilePlaces& places) {
  Problems& problems = in.problems();
  std::string type = in.string("type").value_or("sqlite");
  std::map<std::string_view, std::string> hints;
  hints["password"] = "put the password in a file and name it in \"password_file\"";
  if (type == "sqlite") {
    hints["dsn"] = hints["password_file"] = "is only used with \"type\": \"postgres\"";
    in.check_keys({"type", "path"}, hints);
  } else if (type == "postgres") {
    hints["path"] = "is only used with \"type\": \"sqlite\"";
    in.check_keys({"type", "dsn", "password_file"}, hints);
  } else {
    if (in.has("type"))
      problems.add(in.path_of("type"),
                   "expected \"sqlite\" or \"postgres\", got " + json_quote(type));
    in.check_keys({"type", "path", "dsn", "password_file"}, hints);
    return;
  }
  destination.type = type;

  if (type == "sqlite") {
    if (auto path = in.string("path")) {
      if (path->empty()) problems.add(in.path_of("path"), "expected a file path, got \"\"");
      destination.path = resolve_path(*path, places);
    } else {
      destination.path = kDefaultSqlitePath;
    }
    return;
  }
  if (in.require("dsn", "a libpq connection string, e.g. \"host=db.internal dbname=tsyncd\"")) {
    if (auto dsn = in.string("dsn", Shown::type_only)) {
      if (dsn_has_password(*dsn))
        problems.add(in.path_of("dsn"),
                     "contains a password; keep secrets out of the DSN and name "
                     "a file holding the password in \"password_file\"");
      else
        destination.dsn = *dsn;
    }
  }
  if (auto name = in.string("password_file"))
    destination.password =
        read_secret_file(in.path_of("password_file"), *name, places, problems).value_or("");
}

void read_status(ObjectReader& in, StatusConfig& status, const FilePlaces& places) {
  in.check_keys({"listen", "token_file"},
                {{"token", "put the token in a file and name it in \"token_file\""}});
  if (auto listen = in.string("listen"); listen && !parse_listen(*listen, status)) {
    in.problems().add(in.path_of("listen"),
                      "expected \"host:port\" with an IPv4 address, a bracketed IPv6 address or "
                      "localhost and a port 0..65535, got " +
                          json_quote(*listen));
  }
  if (auto name = in.string("token_file"))
    status.token =
        read_secret_file(in.path_of("token_file"), *name, places, in.problems()).value_or("");
}

void read_connectors(ObjectReader& in, const Schedule& defaults, const FilePlaces& places,
                     std::vector<ConnectorConfig>& connectors) {
  Problems& problems = in.problems();
  if (!in.require("connectors", "a non-empty array of connectors")) return;
  simdjson::dom::element value = *in.get("connectors");
  simdjson::dom::array array;
  if (value.get_array().get(array) || array.size() == 0) {
    problems.add(in.path_of("connectors"),
                 "expected a non-empty array of connectors, got " + describe(value));
    return;
  }
  std::map<std::string, std::string> first_path_of_name;
  size_t index = 0;
  for (simdjson::dom::element entry : array) {
    std::string path = index_path("connectors", index++);
    auto reader = ObjectReader::from(entry, path, problems);
    if (!reader) continue;
    ConnectorConfig connector = read_connector(*reader, defaults, places);
    if (!connector.name.empty()) {
      auto [first, inserted] = first_path_of_name.emplace(connector.name, path);
      if (!inserted)
        problems.add(reader->path_of("name"),
                     json_quote(connector.name) + " is already used by " + first->second);
    }
    connectors.push_back(std::move(connector));
  }
}

// PostgreSQL keeps the source's table names but silently truncates identifiers to 63 bytes, which
// could make two tables one; refuse such names instead.
void check_postgres_table_names(const Config& config, Problems& problems) {
  for (size_t i = 0; i < config.connectors.size(); ++i) {
    const ConnectorConfig& connector = config.connectors[i];
    std::string key = connector.type == "druid" ? "datasources" : "tables";
    for (const std::string& table : connector.tables) {
      if (table.size() > 63)
        problems.add(index_path("connectors", i) + ".configuration." + key,
                     json_quote(table) +
                         " is longer than 63 bytes, PostgreSQL's limit for a "
                         "table name (destination.type is postgres)");
    }
  }
}

Result<Config> parse(std::string_view json_text, const FilePlaces& places) {
  simdjson::padded_string text(json_text);
  simdjson::dom::parser parser;
  auto root = parse_json(parser, text);
  if (!root.ok()) return root.error();

  simdjson::dom::object object;
  if (root->get_object().get(object))
    return make_error(ErrorKind::config,
                      "expected a JSON object at the top level, got " + describe(*root));
  Problems problems;
  ObjectReader top(object, "", problems);
  top.check_keys(kTopLevelKeys, seed_key_hints());

  Config config;
  if (auto state_path = top.string("state_path")) {
    if (state_path->empty()) problems.add("state_path", "expected a file path, got \"\"");
    config.state_path = resolve_path(*state_path, places);
  }
  if (auto destination = top.object("destination"))
    read_destination(*destination, config.destination, places);
  else if (!top.has("destination"))
    config.destination.path = kDefaultSqlitePath;
  if (auto status = top.object("status")) read_status(*status, config.status, places);
  config.max_parallel = static_cast<int>(top.integer("max_parallel", 1, 64).value_or(4));
  if (auto level = top.string("log_level")) {
    if (std::find(kLogLevels.begin(), kLogLevels.end(), *level) == kLogLevels.end())
      problems.add("log_level",
                   "expected one of trace, debug, info, warn, error, got " + json_quote(*level));
    else
      config.log_level = *level;
  }
  Schedule defaults;
  if (auto object = top.object("defaults")) {
    object->check_keys({"sync_every", "lookback", "settle", "page_size"});
    defaults = read_schedule(*object);
  }
  read_connectors(top, defaults, places, config.connectors);
  if (config.destination.type == "postgres") check_postgres_table_names(config, problems);

  if (!problems.empty()) return make_error(ErrorKind::config, problems.text());
  return config;
}

}  // namespace
}  // namespace config_detail

Result<Config> parse_config(std::string_view json_text, const std::string& base_dir,
                            const std::string& credentials_dir) {
  try {
    return config_detail::parse(json_text, {base_dir, credentials_dir});
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, std::string("reading the config failed: ") + e.what());
  }
}

Result<Config> load_config(const std::string& path, const std::string& credentials_dir) {
  std::string text;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return make_error(ErrorKind::config, "cannot read config file " + path + ": " +
                                             std::generic_category().message(errno));
  char buffer[16384];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  int error = errno;
  std::fclose(file);
  if (failed)
    return make_error(ErrorKind::config, "cannot read config file " + path + ": " +
                                             std::generic_category().message(error));

  // Absolute, so that the paths resolved against it stay right whatever the working directory.
  std::error_code ec;
  std::string base_dir = std::filesystem::absolute(path, ec).parent_path().string();
  auto config = parse_config(text, base_dir, credentials_dir);
  if (config.ok()) config->path = path;
  return config;
}

}  // namespace tsyncd

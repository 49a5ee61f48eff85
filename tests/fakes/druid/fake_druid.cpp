// The HTTP side of the fake Druid: routing, druid-basic-security, Content-Type rules, the JSON
// request body, armed faults, and the exact response framing (chunked 200 bodies, error bodies
// with Content-Length), over RawHttpServer.
//
// Known differences from a real Druid 36/37 Router (each also listed where the conformance test
// skips a recording):
// - SQL is the subset of sql.h; other valid SQL gets a 400 whose message starts "[fake Druid]".
// - only sqlTimeZone UTC; no gzip; of the sys schema only sys.segments, and of its columns only
//   the first fourteen; no lookups or views; no GET /status.
// - Calcite's syntax-error texts are approximated ("Incorrect syntax near ..."), as are the
//   Jackson texts for malformed JSON bodies (the unknown-resultFormat and missing-parameter-type
//   texts are exact).
// - the 401/403/502/503 bodies follow druid.md 6 and Jetty's error page; no Date/Vary doubling.
#include "fakes/druid/fake_druid.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>

#include <simdjson.h>

#include "fakes/druid/answers.h"
#include "fakes/druid/engine.h"
#include "fakes/raw_http_server.h"

namespace tsyncd::fakes {

using namespace druid_detail;

DruidColumn DruidColumn::varchar(std::string name) { return {std::move(name), "VARCHAR", "STRING", "VARCHAR"}; }
DruidColumn DruidColumn::bigint(std::string name) { return {std::move(name), "BIGINT", "LONG", "BIGINT"}; }
DruidColumn DruidColumn::float32(std::string name) { return {std::move(name), "FLOAT", "FLOAT", "FLOAT"}; }
DruidColumn DruidColumn::float64(std::string name) { return {std::move(name), "DOUBLE", "DOUBLE", "DOUBLE"}; }
DruidColumn DruidColumn::json(std::string name) { return complex(std::move(name), "COMPLEX<json>"); }
DruidColumn DruidColumn::array(std::string name, std::string element) {
  return {std::move(name), "ARRAY", "ARRAY<" + element + ">", "ARRAY"};
}
DruidColumn DruidColumn::complex(std::string name, std::string type_name) {
  return {std::move(name), "OTHER", type_name, type_name};
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim_text(std::string_view s) { return trim(s); }

std::string reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// Writes one response. Success bodies of queries are streamed (chunked, no Content-Length) like
// Druid's; everything else has a Content-Length.
void write_response(RawConnection& conn, int status, const Headers& headers, std::string_view body, bool chunked,
                    bool close) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  head += "Date: " + http_date() + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  else head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) head += "Connection: close\r\n";
  head += "\r\n";
  if (!chunked) {
    head += body;
    conn.write(head);
  } else {
    if (!conn.write(head)) return;
    constexpr size_t kChunk = 64 * 1024;
    for (size_t at = 0; at < body.size(); at += kChunk) {
      std::string_view piece = body.substr(at, kChunk);
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      if (!conn.write(size) || !conn.write(piece) || !conn.write("\r\n")) return;
    }
    conn.write("0\r\n\r\n");
  }
  if (close) conn.close();
}

// Answers one request. The request log gets its entry before the first byte goes out, so that a
// client that has its answer always finds its request in the log.
class Reply {
 public:
  Reply(RawConnection& conn, bool close, std::function<void(int)> log)
      : conn_(conn), close_(close), log_(std::move(log)) {}

  void operator()(int status, const Headers& headers, std::string_view body, bool chunked = false) {
    log_(status);
    write_response(conn_, status, headers, body, chunked, close_);
  }
  // Closes the connection without any response.
  void hang_up() {
    log_(0);
    conn_.close();
  }

 private:
  RawConnection& conn_;
  bool close_;
  std::function<void(int)> log_;
};

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Jetty's error page, as recorded for a wrong password (fixture 107).
std::string jetty_error_page(int status, std::string_view message, std::string_view uri) {
  const std::string s = std::to_string(status);
  return "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n"
         "<title>Error " + s + " " + std::string(message) + "</title>\n</head>\n<body><h2>HTTP ERROR " + s + " " +
         std::string(message) + "</h2>\n<table>\n<tr><th>URI:</th><td>" + std::string(uri) +
         "</td></tr>\n<tr><th>STATUS:</th><td>" + s + "</td></tr>\n<tr><th>MESSAGE:</th><td>" +
         std::string(message) +
         "</td></tr>\n<tr><th>SERVLET:</th><td>org.apache.druid.server.AsyncQueryForwardingServlet-5eee3da9</td></tr>\n"
         "</table>\n\n</body>\n</html>\n";
}

// ---- locations inside the raw JSON body, for Jackson's "line: 1, column: N" texts ----

size_t skip_space(std::string_view j, size_t p) {
  while (p < j.size() && (j[p] == ' ' || j[p] == '\t' || j[p] == '\n' || j[p] == '\r')) ++p;
  return p;
}

// The offset just after the JSON value starting at p.
size_t skip_value(std::string_view j, size_t p) {
  if (p >= j.size()) return p;
  if (j[p] == '"') {
    for (++p; p < j.size() && j[p] != '"'; ++p)
      if (j[p] == '\\') ++p;
    return p + 1;
  }
  if (j[p] == '{' || j[p] == '[') {
    int depth = 0;
    for (; p < j.size(); ++p) {
      if (j[p] == '"') {
        p = skip_value(j, p) - 1;
      } else if (j[p] == '{' || j[p] == '[') {
        ++depth;
      } else if (j[p] == '}' || j[p] == ']') {
        if (--depth == 0) return p + 1;
      }
    }
    return p;
  }
  while (p < j.size() && j[p] != ',' && j[p] != '}' && j[p] != ']') ++p;
  return p;
}

// Offset of the value of a top-level key of a JSON object.
std::optional<size_t> value_offset(std::string_view j, std::string_view key) {
  size_t p = skip_space(j, 0);
  if (p >= j.size() || j[p] != '{') return std::nullopt;
  ++p;
  while (true) {
    p = skip_space(j, p);
    if (p >= j.size() || j[p] != '"') return std::nullopt;
    size_t key_end = skip_value(j, p);
    std::string_view k = j.substr(p + 1, key_end - p - 2);
    p = skip_space(j, key_end);
    if (p >= j.size() || j[p] != ':') return std::nullopt;
    p = skip_space(j, p + 1);
    if (k == key) return p;
    p = skip_space(j, skip_value(j, p));
    if (p >= j.size() || j[p] != ',') return std::nullopt;
    ++p;
  }
}

// Offset just after element `index` of the array at `p`.
size_t element_end(std::string_view j, size_t p, size_t index) {
  p = skip_space(j, p + 1);
  for (size_t i = 0;; ++i) {
    size_t end = skip_value(j, p);
    if (i == index || end >= j.size()) return end;
    p = skip_space(j, skip_space(j, end) + 1);
  }
}

// Jackson's location: the 1-based line and column of the character at `offset`.
std::string jackson_location(std::string_view body, size_t offset) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(body[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: " +
         std::to_string(line) + ", column: " + std::to_string(column) + "]";
}

// A request body problem: Druid answers these before planning, without query ids.
struct BodyError {
  int status = 400;
  std::string message;
};

// Reads the JSON body into `spec`; `query_id` gets context.sqlQueryId when given.
std::optional<BodyError> read_json_body(const std::string& body, QuerySpec& spec, std::string& query_id) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body).get(doc))
    return BodyError{400, std::string("Malformed SQL query wrapped in JSON: ") + simdjson::error_message(err)};
  simdjson::dom::object obj;
  std::string_view query;
  if (doc.get_object().get(obj) || obj["query"].get_string().get(query))
    return BodyError{400, "Unable to read query from request: Missing required creator property 'query'"};
  spec.sql = std::string(query);

  simdjson::dom::element v;
  if (!obj["resultFormat"].get(v)) {
    std::string_view name;
    std::string upper_name;
    if (!v.get_string().get(name))
      for (char c : name) upper_name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    static const std::pair<const char*, ResultFormat> kFormats[] = {
        {"OBJECT", ResultFormat::object}, {"ARRAY", ResultFormat::array}, {"OBJECTLINES", ResultFormat::object_lines},
        {"ARRAYLINES", ResultFormat::array_lines}, {"CSV", ResultFormat::csv}};
    bool known = false;
    for (const auto& [n, f] : kFormats)
      if (upper_name == n) spec.format = f, known = true;
    if (!known)
      return BodyError{400, "Unable to read query from request: Cannot construct instance of "
                            "`org.apache.druid.sql.http.ResultFormat`, problem: No enum constant "
                            "org.apache.druid.sql.http.ResultFormat." +
                                upper_name + jackson_location(body, value_offset(body, "resultFormat").value_or(0)) +
                                " (through reference chain: org.apache.druid.sql.http.SqlQuery[\"resultFormat\"])"};
  }
  bool flag = false;
  if (!obj["header"].get_bool().get(flag)) spec.header = flag;
  if (!obj["typesHeader"].get_bool().get(flag)) spec.types_header = flag;
  if (!obj["sqlTypesHeader"].get_bool().get(flag)) spec.sql_types_header = flag;

  simdjson::dom::object context;
  if (!obj["context"].get_object().get(context)) {
    std::string_view text;
    int64_t number = 0;
    if (!context["sqlQueryId"].get_string().get(text)) query_id = std::string(text);
    if (!context["sqlOuterLimit"].get_int64().get(number)) spec.outer_limit = number;
    if (!context["sqlStringifyArrays"].get_bool().get(flag)) spec.stringify_arrays = flag;
    if (!context["sqlTimeZone"].get_string().get(text) && text != "UTC" && text != "Etc/UTC" && text != "Z")
      return BodyError{400, "[fake Druid] only sqlTimeZone UTC is supported, not " + std::string(text)};
  }

  simdjson::dom::array params;
  if (!obj["parameters"].get_array().get(params)) {
    size_t index = 0;
    for (simdjson::dom::element p : params) {
      Parameter param;
      std::string_view type;
      if (p["type"].get_string().get(type)) {
        auto at = value_offset(body, "parameters");
        return BodyError{400, "Unable to read query from request: Cannot construct instance of "
                              "`org.apache.druid.sql.http.SqlParameter`, problem: `java.lang.NullPointerException`" +
                                  jackson_location(body, at ? element_end(body, *at, index) - 1 : 0) +
                                  " (through reference chain: org.apache.druid.sql.http.SqlQuery[\"parameters\"]->"
                                  "java.util.ArrayList[" +
                                  std::to_string(index) + "])"};
      }
      for (char c : type) param.type += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      simdjson::dom::element value;
      if (!p["value"].get(value)) {
        switch (value.type()) {
          case simdjson::dom::element_type::INT64:
            param.json = Parameter::Json::integer;
            param.integer = value.get_int64().value_unsafe();
            break;
          case simdjson::dom::element_type::UINT64:
          case simdjson::dom::element_type::DOUBLE:
            param.json = Parameter::Json::number;
            param.number = value.get_double().value_unsafe();
            break;
          case simdjson::dom::element_type::STRING:
            param.json = Parameter::Json::string;
            param.text = std::string(value.get_string().value_unsafe());
            break;
          case simdjson::dom::element_type::BOOL:
            param.json = Parameter::Json::boolean;
            param.boolean = value.get_bool().value_unsafe();
            break;
          case simdjson::dom::element_type::ARRAY:
            param.json = Parameter::Json::array;
            param.text = simdjson::minify(value);
            break;
          default: break;
        }
      }
      spec.parameters.push_back(std::move(param));
      ++index;
    }
  }
  return std::nullopt;
}

std::string make_uuid(uint64_t a, uint64_t b) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace

struct FakeDruid::Impl {
  FakeDruidOptions options;

  mutable std::shared_mutex data_mutex;
  Catalog catalog;

  mutable std::mutex state_mutex;  // faults, request log, running queries
  std::vector<FaultSpec> faults;
  std::vector<DruidRequestRecord> log;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running;  // query id -> cancelled

  std::atomic<uint64_t> request_number{0};
  std::unique_ptr<RawHttpServer> server;

  void handle(const RawRequest& req, RawConnection& conn);
  void handle_sql(const RawRequest& req, Reply& reply, DruidRequestRecord& record, const std::string& user);
  std::optional<FaultSpec> take_fault(const std::string& sql);
  Datasource& datasource(const std::string& name);
};

Datasource& FakeDruid::Impl::datasource(const std::string& name) {
  auto it = catalog.datasources.find(name);
  if (it == catalog.datasources.end()) throw std::invalid_argument("fake Druid: no datasource " + name);
  return it->second;
}

std::optional<FaultSpec> FakeDruid::Impl::take_fault(const std::string& sql) {
  std::lock_guard lock(state_mutex);
  for (FaultSpec& f : faults) {
    if (f.times <= 0 || (!f.match.empty() && sql.find(f.match) == std::string::npos)) continue;
    --f.times;
    return f;
  }
  return std::nullopt;
}

void FakeDruid::Impl::handle(const RawRequest& req, RawConnection& conn) {
  DruidRequestRecord record{req.method, req.target, req.headers, req.body, "", 0};
  const bool close = lower(req.header("Connection")) == "close";
  const std::string path = req.target.substr(0, req.target.find('?'));
  const Headers plain_headers = {{"Cache-Control", "no-cache, no-store, max-age=0"},
                                 {"Content-Security-Policy", "frame-ancestors 'none'"}};
  Reply reply(conn, close, [this, &record](int status) {
    DruidRequestRecord entry = record;
    entry.status = status;
    std::lock_guard lock(state_mutex);
    log.push_back(std::move(entry));
  });

  if (path == "/status/health" && req.method == "GET") {
    return reply(200, {{"Content-Type", "application/json"}}, "true");
  }

  std::string user;
  if (!options.users.empty()) {
    const std::string auth = req.header("Authorization");
    if (auth.empty()) {
      return reply(401, {{"WWW-Authenticate", "Basic"}, {"Content-Type", "application/json;charset=utf-8"}},
                   "{\"error\":\"Unauthorized request\",\"errorMessage\":null,\"errorClass\":null,\"host\":" +
                       json_string(options.router_host) + "}");
    }
    std::optional<std::string> decoded;
    if (lower(auth.substr(0, 6)) == "basic ") decoded = base64_decode(trim_text(auth.substr(6)));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    auto known = colon == std::string::npos ? options.users.end() : options.users.find(decoded->substr(0, colon));
    if (known == options.users.end() || known->second != decoded->substr(colon + 1)) {
      return reply(401,
                   {{"Cache-Control", "must-revalidate,no-cache,no-store"},
                    {"Content-Type", "text/html;charset=iso-8859-1"}},
                   jetty_error_page(401, "User authentication failed.", path));
    }
    user = known->first;
  }

  if (path == "/druid/v2/sql" || path == "/druid/v2/sql/") {
    if (req.method != "POST") {
      Headers h = plain_headers;
      h.emplace_back("Allow", "POST,OPTIONS");
      return reply(405, h, "");
    }
    return handle_sql(req, reply, record, user);
  }
  if (path.rfind("/druid/v2/sql/", 0) == 0 && req.method == "DELETE") {
    const std::string id = path.substr(std::string("/druid/v2/sql/").size());
    bool found = false;
    {
      std::lock_guard lock(state_mutex);
      auto it = running.find(id);
      if (it != running.end()) {
        it->second->store(true);
        found = true;
      }
    }
    Headers h = {{"Content-Type", "application/json"}};
    h.insert(h.end(), plain_headers.begin(), plain_headers.end());
    return reply(found ? 202 : 404, h, "");
  }
  reply(404, plain_headers, "");
}

void FakeDruid::Impl::handle_sql(const RawRequest& req, Reply& reply, DruidRequestRecord& record,
                                 const std::string& user) {
  auto body_error = [&](const BodyError& e) {
    reply(e.status, {{"Content-Type", "application/json"}}, http_exception(e.message));
  };

  // Content-Type, as Druid >= 35 judges it (or 34.0.0 with reject_json_charset).
  QuerySpec spec;
  spec.user = user;
  std::string query_id;
  if (!req.has_header("Content-Type")) return body_error({400, "Missing Content-Type header"});
  const std::string content_type = req.header("Content-Type");
  const std::string media = lower(trim_text(content_type.substr(0, content_type.find(';'))));
  const std::string unsupported = "Unsupported Content-Type: " + content_type +
                                  ". Only application/json, text/plain or application/x-www-form-urlencoded is "
                                  "supported.";
  if (media.find('/') == std::string::npos || media.front() == '/' || media.back() == '/')
    return body_error({400, "Invalid Content-Type header: " + content_type});
  if (media == "application/json") {
    if (options.reject_json_charset && content_type.find(';') != std::string::npos)
      return body_error({415, unsupported});
    if (auto e = read_json_body(req.body, spec, query_id)) return body_error(*e);
  } else if (media == "text/plain" || media == "application/x-www-form-urlencoded") {
    spec.sql = req.body;
    if (trim_text(spec.sql).empty()) return body_error({400, "Empty query"});
  } else {
    return body_error({415, unsupported});
  }
  record.query = spec.sql;

  const uint64_t n = request_number.fetch_add(1) + 1;
  if (query_id.empty()) {
    std::mt19937_64 rng(options.seed ^ (n * 0x9E3779B97F4A7C15ULL));
    const uint64_t a = rng();
    query_id = make_uuid(a, rng());
  }
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(state_mutex);
    running[query_id] = cancelled;
  }
  struct Unregister {
    Impl* impl;
    std::string id;
    ~Unregister() {
      std::lock_guard lock(impl->state_mutex);
      impl->running.erase(id);
    }
  } unregister{this, query_id};

  Headers ids = {{"X-Druid-SQL-Query-Id", query_id}, {"X-Druid-Query-Id", query_id}};
  auto error_reply = [&](int status, const std::string& body, bool with_ids, bool header_included,
                         Headers extra = {}) {
    Headers h = {{"Content-Type", "application/json"}};
    if (with_ids) h.insert(h.end(), ids.begin(), ids.end());
    if (header_included && spec.header) h.emplace_back("X-Druid-SQL-Header-Included", "yes");
    h.insert(h.end(), extra.begin(), extra.end());
    reply(status, h, body);
  };

  BodyFaults body_faults;
  if (auto fault = take_fault(spec.sql)) {
    const std::string& host = options.data_server;
    switch (fault->kind) {
      case DruidFault::close_connection: return reply.hang_up();
      case DruidFault::delay:
        for (int waited = 0; waited < fault->delay_ms; waited += 5) {
          if (cancelled->load())
            return error_reply(500,
                               legacy_exception("Unknown exception", "java.lang.RuntimeException", std::nullopt,
                                                "RUNTIME_FAILURE", "Sequence canceled"),
                               true, false);
          std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5, fault->delay_ms - waited)));
        }
        break;
      case DruidFault::capacity_429: {
        Headers extra;
        if (fault->retry_after_s > 0) extra.emplace_back("Retry-After", std::to_string(fault->retry_after_s));
        return error_reply(429,
                           legacy_exception("Query capacity exceeded",
                                            "org.apache.druid.query.QueryCapacityExceededException", std::nullopt,
                                            "CAPACITY_EXCEEDED",
                                            "Too many concurrent queries, total query capacity of 20 exceeded. "
                                            "Please try your query again later."),
                           true, true, extra);
      }
      case DruidFault::timeout_504:
        return error_reply(504,
                           legacy_exception("Query timeout", "org.apache.druid.query.QueryTimeoutException", host,
                                            "TIMEOUT", "Query [" + query_id + "] timed out!"),
                           true, true);
      case DruidFault::uncategorized_500:
        return error_reply(500, druid_exception("general", "ADMIN", "UNCATEGORIZED", "/ by zero"), true, true);
      case DruidFault::runtime_failure_500:
        return error_reply(500,
                           legacy_exception("Unknown exception", "java.lang.ArithmeticException", host,
                                            "RUNTIME_FAILURE", "/ by zero"),
                           true, true);
      case DruidFault::bad_gateway_502:
      case DruidFault::unavailable_503: {
        const int status = fault->kind == DruidFault::bad_gateway_502 ? 502 : 503;
        return reply(status,
                     {{"Cache-Control", "must-revalidate,no-cache,no-store"},
                      {"Content-Type", "text/html;charset=iso-8859-1"}},
                     jetty_error_page(status, reason_phrase(status), "/druid/v2/sql"));
      }
      case DruidFault::truncate_after_rows: body_faults.truncate_after_rows = fault->rows; break;
      case DruidFault::missing_terminator: body_faults.omit_terminator = true; break;
      case DruidFault::missing_segments: body_faults.drop_last_day = true; break;
    }
  }

  EngineSettings settings;
  settings.shuffle_ties = options.shuffle_ties;
  settings.tie_seed = options.seed ^ (n * 0xBF58476D1CE4E5B9ULL);
  settings.segments_per_time_chunk = options.segments_per_time_chunk;
  settings.empty_aggregates = options.empty_aggregates;
  settings.data_server = options.data_server;
  Answer answer;
  {
    std::shared_lock lock(data_mutex);
    answer = run_query(catalog, settings, spec, body_faults);
  }
  if (answer.status != 200) return error_reply(answer.status, answer.body, answer.query_ids, answer.header_included);
  Headers h = ids;
  if (spec.header) h.emplace_back("X-Druid-SQL-Header-Included", "yes");
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("X-Druid-Response-Context", answer.response_context);
  reply(200, h, answer.body, true);
}

FakeDruid::FakeDruid(FakeDruidOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.segment_granularity_ms <= 0)
    throw std::invalid_argument("fake Druid: segment_granularity_ms must be positive");
  impl_->catalog.segment_granularity_ms = impl_->options.segment_granularity_ms;
  Impl* impl = impl_.get();
  RawServerOptions server_options;
  server_options.port = impl->options.port;
  impl_->server = std::make_unique<RawHttpServer>(
      [impl](const RawRequest& req, RawConnection& conn) { impl->handle(req, conn); }, server_options);
}

FakeDruid::~FakeDruid() { stop(); }

int FakeDruid::port() const { return impl_->server->port(); }
void FakeDruid::stop() { impl_->server->stop(); }

void FakeDruid::create_datasource(const std::string& name, std::vector<DruidColumn> columns) {
  Datasource d;
  d.columns.push_back(DruidColumn{"__time", "TIMESTAMP", "LONG", "TIMESTAMP"});
  for (DruidColumn& c : columns) d.columns.push_back(std::move(c));
  std::unique_lock lock(impl_->data_mutex);
  impl_->catalog.datasources[name] = std::move(d);
}

void FakeDruid::drop_datasource(const std::string& name) {
  std::unique_lock lock(impl_->data_mutex);
  impl_->catalog.datasources.erase(name);
}

void FakeDruid::set_available(const std::string& name, bool available) {
  std::unique_lock lock(impl_->data_mutex);
  impl_->datasource(name).available = available;
}

void FakeDruid::set_listed(const std::string& name, bool listed) {
  std::unique_lock lock(impl_->data_mutex);
  impl_->datasource(name).listed = listed;
}

void FakeDruid::add_column(const std::string& datasource, DruidColumn column) {
  std::unique_lock lock(impl_->data_mutex);
  Datasource& d = impl_->datasource(datasource);
  d.columns.push_back(std::move(column));
  for (DruidRow& r : d.rows) r.values.resize(d.columns.size() - 1);
}

namespace {

void insert_rows(Datasource& d, std::vector<DruidRow> rows) {
  const size_t width = d.columns.size() - 1;
  for (DruidRow& r : rows) {
    if (r.values.size() > width) throw std::invalid_argument("fake Druid: a row has more values than columns");
    r.values.resize(width);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const DruidRow& a, const DruidRow& b) { return a.time < b.time; });
  const size_t old_size = d.rows.size();
  const bool in_order = old_size == 0 || rows.empty() || rows.front().time >= d.rows.back().time;
  d.rows.insert(d.rows.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  // inplace_merge is stable: stored rows stay before new rows with the same __time.
  if (!in_order)
    std::inplace_merge(d.rows.begin(), d.rows.begin() + static_cast<std::ptrdiff_t>(old_size), d.rows.end(),
                       [](const DruidRow& a, const DruidRow& b) { return a.time < b.time; });
}

std::pair<std::vector<DruidRow>::iterator, std::vector<DruidRow>::iterator> interval(Datasource& d, int64_t lo,
                                                                                     int64_t hi) {
  auto by_time = [](const DruidRow& r, int64_t t) { return r.time < t; };
  auto b = std::lower_bound(d.rows.begin(), d.rows.end(), lo, by_time);
  auto e = std::lower_bound(b, d.rows.end(), hi, by_time);
  return {b, e};
}

// Druid versions are the creation time of a segment set; a client compares them as text, so each
// new one must sort after every earlier one.
std::string new_version(Catalog& catalog) {
  constexpr int64_t kFirstVersion = 1790812800000;  // 2026-10-01T00:00:00.000Z
  return format_iso_time(kFirstVersion + 1000 * catalog.versions_created++, TimeUnit::ms);
}

std::set<int64_t> chunks_of(const Catalog& catalog, const std::vector<DruidRow>& rows) {
  std::set<int64_t> starts;
  for (const DruidRow& r : rows) starts.insert(chunk_start(r.time, catalog.segment_granularity_ms));
  return starts;
}

// An append adds a partition to the chunk's current version; only an empty chunk gets a version.
void add_partitions(Catalog& catalog, Datasource& d, const std::set<int64_t>& starts) {
  for (int64_t start : starts) {
    auto [chunk, created] = d.chunks.try_emplace(start);
    if (created) chunk->second.version = new_version(catalog);
    else ++chunk->second.partitions;
  }
}

// A rewrite of [lo, hi) (re-ingestion, delete, compaction) replaces every chunk it overlaps by a
// new version of one partition; a chunk left without rows has no segment at all.
void rewrite_chunks(Catalog& catalog, Datasource& d, int64_t lo, int64_t hi) {
  if (lo >= hi) return;
  const int64_t g = catalog.segment_granularity_ms;
  std::set<int64_t> starts;
  for (auto it = d.chunks.lower_bound(chunk_start(lo, g)); it != d.chunks.end() && it->first < hi; ++it)
    starts.insert(it->first);
  auto [b, e] = interval(d, lo, hi);
  for (auto it = b; it != e; ++it) starts.insert(chunk_start(it->time, g));
  for (int64_t start : starts) {
    auto [first, last] = interval(d, start, chunk_end(start, g));
    if (first == last) d.chunks.erase(start);
    else d.chunks[start] = TimeChunk{new_version(catalog), 1};
  }
}

}  // namespace

void FakeDruid::append(const std::string& datasource, std::vector<DruidRow> rows) {
  std::unique_lock lock(impl_->data_mutex);
  Datasource& d = impl_->datasource(datasource);
  const std::set<int64_t> starts = chunks_of(impl_->catalog, rows);
  insert_rows(d, std::move(rows));
  add_partitions(impl_->catalog, d, starts);
}

size_t FakeDruid::delete_rows(const std::string& datasource, int64_t lo, int64_t hi) {
  std::unique_lock lock(impl_->data_mutex);
  Datasource& d = impl_->datasource(datasource);
  auto [b, e] = interval(d, lo, hi);
  const size_t n = static_cast<size_t>(e - b);
  d.rows.erase(b, e);
  rewrite_chunks(impl_->catalog, d, lo, hi);
  return n;
}

void FakeDruid::replace_interval(const std::string& datasource, int64_t lo, int64_t hi, std::vector<DruidRow> rows) {
  for (const DruidRow& r : rows)
    if (r.time < lo || r.time >= hi) throw std::invalid_argument("fake Druid: replacement row outside the interval");
  std::unique_lock lock(impl_->data_mutex);
  Datasource& d = impl_->datasource(datasource);
  auto [b, e] = interval(d, lo, hi);
  d.rows.erase(b, e);
  insert_rows(d, std::move(rows));
  rewrite_chunks(impl_->catalog, d, lo, hi);
}

size_t FakeDruid::compact(const std::string& datasource, int64_t lo, int64_t hi,
                          const std::set<std::string>& metrics) {
  std::unique_lock lock(impl_->data_mutex);
  Datasource& d = impl_->datasource(datasource);
  std::vector<bool> is_metric;
  for (size_t i = 1; i < d.columns.size(); ++i) is_metric.push_back(metrics.count(d.columns[i].name) > 0);
  auto [b, e] = interval(d, lo, hi);
  std::vector<DruidRow> merged;
  for (auto it = b; it != e; ++it) {
    auto same_dimensions = [&](const DruidRow& m) {
      if (m.time != it->time) return false;
      for (size_t i = 0; i < is_metric.size(); ++i)
        if (!is_metric[i] && m.values[i] != it->values[i]) return false;
      return true;
    };
    auto target = std::find_if(merged.begin(), merged.end(), same_dimensions);
    if (target == merged.end()) {
      merged.push_back(*it);
      continue;
    }
    for (size_t i = 0; i < is_metric.size(); ++i) {
      if (!is_metric[i] || is_null(it->values[i])) continue;
      Value& sum = target->values[i];
      if (is_null(sum)) sum = it->values[i];
      else if (std::holds_alternative<int64_t>(sum) && std::holds_alternative<int64_t>(it->values[i]))
        sum = std::get<int64_t>(sum) + std::get<int64_t>(it->values[i]);
      else if (std::holds_alternative<double>(sum) && std::holds_alternative<double>(it->values[i]))
        sum = std::get<double>(sum) + std::get<double>(it->values[i]);
    }
  }
  const size_t removed = static_cast<size_t>(e - b) - merged.size();
  d.rows.erase(b, e);
  insert_rows(d, std::move(merged));
  rewrite_chunks(impl_->catalog, d, lo, hi);
  return removed;
}

std::vector<DruidRow> FakeDruid::rows(const std::string& datasource) const {
  std::shared_lock lock(impl_->data_mutex);
  auto it = impl_->catalog.datasources.find(datasource);
  return it == impl_->catalog.datasources.end() ? std::vector<DruidRow>{} : it->second.rows;
}

std::vector<DruidColumn> FakeDruid::columns(const std::string& datasource) const {
  std::shared_lock lock(impl_->data_mutex);
  auto it = impl_->catalog.datasources.find(datasource);
  return it == impl_->catalog.datasources.end() ? std::vector<DruidColumn>{} : it->second.columns;
}

std::map<int64_t, std::string> FakeDruid::chunk_versions(const std::string& datasource) const {
  std::shared_lock lock(impl_->data_mutex);
  std::map<int64_t, std::string> versions;
  auto it = impl_->catalog.datasources.find(datasource);
  if (it != impl_->catalog.datasources.end())
    for (const auto& [start, chunk] : it->second.chunks) versions[start] = chunk.version;
  return versions;
}

void FakeDruid::deny(const std::string& user, const std::string& datasource) {
  std::unique_lock lock(impl_->data_mutex);
  impl_->catalog.denied.insert({user, datasource});
}

void FakeDruid::arm(FaultSpec fault) {
  std::lock_guard lock(impl_->state_mutex);
  impl_->faults.push_back(std::move(fault));
}

void FakeDruid::clear_faults() {
  std::lock_guard lock(impl_->state_mutex);
  impl_->faults.clear();
}

size_t FakeDruid::armed_faults() const {
  std::lock_guard lock(impl_->state_mutex);
  return static_cast<size_t>(std::count_if(impl_->faults.begin(), impl_->faults.end(),
                                           [](const FaultSpec& f) { return f.times > 0; }));
}

size_t FakeDruid::queries_running() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->running.size();
}

std::vector<DruidRequestRecord> FakeDruid::requests() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->log;
}

void FakeDruid::clear_requests() {
  std::lock_guard lock(impl_->state_mutex);
  impl_->log.clear();
}

size_t FakeDruid::request_count() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->log.size();
}

}  // namespace tsyncd::fakes

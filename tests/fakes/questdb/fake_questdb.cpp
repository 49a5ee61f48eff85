// The HTTP side of the fake: routing, authentication, faults and the request log. Tables live in
// a Database guarded by a shared mutex; the SQL work is in sql.cpp and engine.cpp.
#include "fakes/questdb/fake_questdb.h"

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "fakes/questdb/engine.h"
#include "fakes/questdb/framing.h"
#include "fakes/questdb/render.h"
#include "fakes/raw_http_server.h"

namespace tsyncd::fakes {

using namespace qdb;

Cell Cell::bytes(std::string raw) {
  Cell c;
  c.v_ = Bytes{std::move(raw)};
  return c;
}

Cell Cell::array(DoubleArray value) {
  Cell c;
  c.v_ = std::make_shared<const DoubleArray>(std::move(value));
  return c;
}

Cell Cell::array(std::vector<double> values) {
  size_t n = values.size();
  return array(DoubleArray{{n}, std::move(values)});
}

Cell::Kind Cell::kind() const {
  static constexpr Kind kKinds[] = {Kind::null, Kind::boolean, Kind::integer, Kind::float64,
                                    Kind::float32, Kind::text, Kind::bytes, Kind::array};
  return kKinds[v_.index()];
}

const std::string& Cell::text() const {
  if (const auto* b = std::get_if<Bytes>(&v_)) return b->raw;
  return std::get<std::string>(v_);
}

Fault Fault::http_status(int status, std::string message) {
  Fault f;
  f.kind = Kind::status;
  f.status = status;
  f.message = std::move(message);
  return f;
}

Fault Fault::too_many_requests(std::chrono::seconds retry_after) {
  Fault f = http_status(429);
  f.retry_after = retry_after;
  return f;
}

Fault Fault::close_connection() {
  Fault f;
  f.kind = Kind::close;
  return f;
}

Fault Fault::reset_connection() {
  Fault f;
  f.kind = Kind::reset;
  return f;
}

Fault Fault::truncate_after(size_t body_bytes) {
  Fault f;
  f.kind = Kind::truncate;
  f.after_bytes = body_bytes;
  return f;
}

Fault Fault::broken_framing_in_header() {
  Fault f;
  f.kind = Kind::broken_header;
  return f;
}

Fault Fault::broken_framing_after(size_t body_bytes) {
  Fault f;
  f.kind = Kind::broken_body;
  f.after_bytes = body_bytes;
  return f;
}

Fault Fault::stall(std::chrono::milliseconds delay, size_t after_body_bytes) {
  Fault f;
  f.kind = Kind::delay;
  f.delay = delay;
  f.after_bytes = after_body_bytes;
  return f;
}

Fault& Fault::matching(std::string sql_substring) & {
  sql_contains = std::move(sql_substring);
  return *this;
}
Fault&& Fault::matching(std::string sql_substring) && { return std::move(matching(std::move(sql_substring))); }
Fault& Fault::repeat(int n) & {
  times = n;
  return *this;
}
Fault&& Fault::repeat(int n) && { return std::move(repeat(n)); }

namespace {

// QuestDB's request-head limit: 32,278 bytes were accepted and 32,293 were not (questdb.md §1).
constexpr size_t kQuestDbMaxHead = 32285;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding with '+' as a space, as QuestDB decodes (F:120).
std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;

  const std::string* param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return &v;
    return nullptr;
  }
};

Target parse_target(std::string_view target) {
  Target t;
  size_t q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    t.params.emplace_back(url_decode(pair.substr(0, eq)),
                          eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return t;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// What QuestDB echoes for a query that is not UTF-8: each byte widened like a signed Java byte
// to a char, so 0xFF becomes U+FFFF (F:123).
std::string widen_bytes(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) out += c;
    else append_utf8(out, 0xFF00u | b);
  }
  return out;
}

std::string error_body(const std::string& sql, std::string_view message, size_t position) {
  std::string body = "{\"query\":";
  append_json_string(body, sql);
  body += ",\"error\":";
  append_json_string(body, message);
  body += ",\"position\":" + std::to_string(position) + "}";
  return body;
}

std::string default_message(const Fault& f) {
  if (!f.message.empty()) return f.message;
  switch (f.kind) {
    case Fault::Kind::status: return "fake QuestDB: injected HTTP " + std::to_string(f.status);
    default: return "fake QuestDB: injected failure while rendering a row";
  }
}

bool whitespace_only(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

struct FakeQuestDb::Impl {
  mutable std::shared_mutex db_mu;
  Database db;

  mutable std::mutex mu;  // everything below except the server
  std::string expected_authorization;  // empty: authentication off
  std::vector<Fault> faults;
  std::vector<LoggedRequest> log;
  std::function<void(const LoggedRequest&)> hook;
  bool stopping = false;
  std::condition_variable stop_cv;

  std::unique_ptr<RawHttpServer> server;  // last: stopped first

  void handle(const RawRequest& req, RawConnection& conn);
  std::optional<Fault> take_fault(const std::string& sql);
  // Waits, unless the fake is being destroyed.
  void sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    stop_cv.wait_for(lock, d, [this] { return stopping; });
  }
  // Applies the part of a fault that comes before any response; true when nothing else is sent.
  bool fault_before_answer(const Fault& f, const std::string& sql, RawConnection& conn);
  void answer(const std::string& sql, RawConnection& conn, const BodyFault& body_fault);
  void send_error(RawConnection& conn, const std::string& sql, const SqlError& e, const BodyFault& body_fault);
};

std::optional<Fault> FakeQuestDb::Impl::take_fault(const std::string& sql) {
  std::lock_guard lock(mu);
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!it->sql_contains.empty() && sql.find(it->sql_contains) == std::string::npos) continue;
    Fault f = *it;
    if (--it->times <= 0) faults.erase(it);
    return f;
  }
  return std::nullopt;
}

bool FakeQuestDb::Impl::fault_before_answer(const Fault& f, const std::string& sql, RawConnection& conn) {
  switch (f.kind) {
    case Fault::Kind::status: {
      HeaderList extra;
      if (f.retry_after.count() > 0) extra.emplace_back("Retry-After", std::to_string(f.retry_after.count()));
      conn.write(whole_response(f.status, ContentType::json, error_body(sql, default_message(f), f.position), extra));
      return true;
    }
    case Fault::Kind::close: conn.close(); return true;
    case Fault::Kind::reset: conn.reset(); return true;
    case Fault::Kind::broken_header:
      conn.write(head_lines(200, ContentType::json) +
                 whole_response(400, ContentType::json, error_body(sql, default_message(f), f.position)));
      return true;
    case Fault::Kind::delay:
      if (f.after_bytes == 0) sleep(f.delay);
      return false;
    case Fault::Kind::truncate:
    case Fault::Kind::broken_body: return false;
  }
  return false;
}

void FakeQuestDb::Impl::send_error(RawConnection& conn, const std::string& sql, const SqlError& e,
                                   const BodyFault& body_fault) {
  ChunkedWriter out(conn, 400, body_fault, [this](std::chrono::milliseconds d) { sleep(d); });
  out.buffer() = error_body(sql, e.message, utf16_position(sql, e.position));
  out.finish();
}

void FakeQuestDb::Impl::answer(const std::string& sql, RawConnection& conn, const BodyFault& body_fault) {
  if (whitespace_only(sql)) {  // a 200 with a string position (F:504, F:507)
    ChunkedWriter out(conn, 200, body_fault, [this](std::chrono::milliseconds d) { sleep(d); });
    out.buffer() = "{\"error\":\"empty query\",\"query\":";
    append_json_string(out.buffer(), sql);
    out.buffer() += ",\"position\":\"0\"}";
    out.finish();
    return;
  }
  if (!valid_utf8(sql)) return send_error(conn, widen_bytes(sql), {"Bad UTF8 encoding in query text", 0}, body_fault);
  auto parsed = parse_sql(sql);
  if (auto* e = std::get_if<SqlError>(&parsed)) return send_error(conn, sql, *e, body_fault);
  std::shared_lock lock(db_mu);
  auto p = plan(std::get<Statement>(parsed), db);
  if (auto* e = std::get_if<SqlError>(&p)) return send_error(conn, sql, *e, body_fault);
  ChunkedWriter out(conn, 200, body_fault, [this](std::chrono::milliseconds d) { sleep(d); });
  render(std::get<Plan>(p), sql, out);
}

void FakeQuestDb::Impl::handle(const RawRequest& req, RawConnection& conn) {
  Target target = parse_target(req.target);
  const std::string* query = target.param("query");
  std::string sql = query ? *query : std::string();
  bool exec = target.path == "/exec";
  std::optional<Fault> fault = exec ? take_fault(sql) : std::nullopt;

  LoggedRequest entry{req.method, req.target, sql, req.header("Authorization"), fault.has_value()};
  std::function<void(const LoggedRequest&)> on_request;
  std::string expected;
  {
    std::lock_guard lock(mu);
    log.push_back(entry);
    on_request = hook;
  }
  if (on_request) on_request(entry);
  {
    std::lock_guard lock(mu);
    expected = expected_authorization;
  }

  if (target.path == "/exp") {
    conn.write(whole_response(400, ContentType::json, error_body(sql, "fake QuestDB does not implement /exp", 0)));
    return;
  }
  if (!exec) {  // before authentication: QuestDB answers 404 even without credentials (F:608)
    conn.write(whole_response(404, ContentType::text, "Not Found\r\n"));
    return;
  }
  if (fault && fault_before_answer(*fault, sql, conn)) return;
  if (req.method != "GET") {
    bool with_body = req.method == "POST" || req.method == "PUT";
    if (with_body && !req.has_header("Content-Length"))
      conn.write(whole_response(400, ContentType::text, "Content-length not specified for POST/PUT request\r\n"));
    else
      conn.write(whole_response(405, ContentType::text, "Method " + req.method + " not supported\r\n"));
    return;
  }
  if (!expected.empty() && req.header("Authorization") != expected) {
    conn.write(whole_response(401, ContentType::text, "Unauthorized\r\n"));
    return;
  }
  BodyFault body_fault;
  if (fault) {
    switch (fault->kind) {
      case Fault::Kind::truncate:
        body_fault.kind = BodyFault::Kind::truncate;
        break;
      case Fault::Kind::broken_body:
        body_fault.kind = BodyFault::Kind::broken;
        body_fault.replacement = whole_response(400, ContentType::json, error_body(sql, default_message(*fault), fault->position));
        break;
      case Fault::Kind::delay:
        if (fault->after_bytes > 0) body_fault.kind = BodyFault::Kind::stall;
        break;
      default: break;
    }
    body_fault.after = fault->after_bytes;
    body_fault.delay = fault->delay;
  }
  for (const auto& [name, value] : target.params) {
    if (name != "query") {
      send_error(conn, sql, {"fake QuestDB does not support the URL parameter " + name, 0}, body_fault);
      return;
    }
  }
  answer(sql, conn, body_fault);
}

FakeQuestDb::FakeQuestDb(FakeQuestDbOptions options) : impl_(new Impl) {
  set_credentials(options.user, options.password);
  RawServerOptions raw;
  raw.port = options.port;
  raw.max_head_bytes = kQuestDbMaxHead;
  impl_->server = std::make_unique<RawHttpServer>(
      [impl = impl_.get()](const RawRequest& req, RawConnection& conn) { impl->handle(req, conn); }, raw);
}

FakeQuestDb::~FakeQuestDb() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->server->stop();
}

int FakeQuestDb::port() const { return impl_->server->port(); }

Status FakeQuestDb::create_table(const TableSpec& spec) {
  auto table = Table::create(spec);
  if (!table) return table.error();
  std::unique_lock lock(impl_->db_mu);
  std::string key = lower_ascii(spec.name);
  if (impl_->db.tables.count(key)) return make_error(ErrorKind::internal, "table " + spec.name + " already exists");
  impl_->db.tables[key] = std::move(*table);
  return ok_status();
}

Status FakeQuestDb::drop_table(std::string_view table) {
  std::unique_lock lock(impl_->db_mu);
  if (impl_->db.tables.erase(lower_ascii(table)) == 0)
    return make_error(ErrorKind::not_found, "no table " + std::string(table));
  return ok_status();
}

namespace {
Error no_table(std::string_view table) { return make_error(ErrorKind::not_found, "no table " + std::string(table)); }
}  // namespace

Status FakeQuestDb::add_column(std::string_view table, const ColumnSpec& column) {
  std::unique_lock lock(impl_->db_mu);
  Table* t = impl_->db.find(table);
  if (!t) return no_table(table);
  return t->add_column(column);
}

Status FakeQuestDb::insert(std::string_view table, const std::vector<CellRow>& rows) {
  std::unique_lock lock(impl_->db_mu);
  Table* t = impl_->db.find(table);
  if (!t) return no_table(table);
  return t->insert(rows);
}

Result<size_t> FakeQuestDb::delete_range(std::string_view table, int64_t lo, int64_t hi) {
  std::unique_lock lock(impl_->db_mu);
  Table* t = impl_->db.find(table);
  if (!t) return no_table(table);
  return t->erase_range(lo, hi);
}

Result<size_t> FakeQuestDb::update_range(std::string_view table, int64_t lo, int64_t hi, std::string_view column,
                                         const Cell& value) {
  std::unique_lock lock(impl_->db_mu);
  Table* t = impl_->db.find(table);
  if (!t) return no_table(table);
  return t->update_range(lo, hi, column, value);
}

Result<size_t> FakeQuestDb::row_count(std::string_view table) const {
  std::shared_lock lock(impl_->db_mu);
  const Table* t = impl_->db.find(table);
  if (!t) return no_table(table);
  return t->size();
}

void FakeQuestDb::set_credentials(std::string user, std::string password) {
  std::lock_guard lock(impl_->mu);
  impl_->expected_authorization = user.empty() ? std::string() : "Basic " + base64(user + ":" + password);
}

void FakeQuestDb::arm(Fault fault) {
  std::lock_guard lock(impl_->mu);
  if (fault.times > 0) impl_->faults.push_back(std::move(fault));
}

void FakeQuestDb::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

int FakeQuestDb::pending_faults() const {
  std::lock_guard lock(impl_->mu);
  int n = 0;
  for (const auto& f : impl_->faults) n += f.times;
  return n;
}

void FakeQuestDb::on_request(std::function<void(const LoggedRequest&)> hook) {
  std::lock_guard lock(impl_->mu);
  impl_->hook = std::move(hook);
}

std::vector<LoggedRequest> FakeQuestDb::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

void FakeQuestDb::clear_requests() {
  std::lock_guard lock(impl_->mu);
  impl_->log.clear();
}

size_t FakeQuestDb::requests_served() const { return impl_->server->requests_served(); }

}  // namespace tsyncd::fakes

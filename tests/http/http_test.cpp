// Tests of src/http: URL encoding, the Basic header, status mapping, the retry loop, the framing
// check, and the client against a loopback server that replays recorded QuestDB bytes.
#include "http/http.h"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <csignal>

#include "http/framing.h"
#include "http/scripted_server.h"

namespace tsyncd {
namespace {

using namespace std::chrono_literals;
using testing::read_fixture;
using testing::read_fixture_body;
using testing::Reply;
using testing::ScriptedServer;

HttpOptions options_for(const ScriptedServer& server) {
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.what = "questdb connector 'test' at 127.0.0.1";
  options.read_timeout = 2s;
  return options;
}

HttpRequest get(std::string target) {
  HttpRequest request;
  request.target = std::move(target);
  return request;
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("url_encode keeps unreserved characters and percent-encodes everything else") {
  CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(url_encode("select 1+1") == "select%201%2B1");
  CHECK(url_encode("'a,b'=\"c\"(%)/?&#") == "%27a%2Cb%27%3D%22c%22%28%25%29%2F%3F%26%23");
  CHECK(url_encode("é") == "%C3%A9");
  CHECK(url_encode("日😀") == "%E6%97%A5%F0%9F%98%80");
  CHECK(url_encode(std::string("a\0b\n", 4)) == "a%00b%0A");
  CHECK(url_encode(std::string(1, '\xff')) == "%FF");
  CHECK(url_encode("") == "");
}

TEST_CASE("basic_auth_header base64-encodes user:password") {
  CHECK(basic_auth_header("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(basic_auth_header("admin", "quest") == "Basic YWRtaW46cXVlc3Q=");
  CHECK(basic_auth_header("ab", "") == "Basic YWI6");
  CHECK(basic_auth_header("", "") == "Basic Og==");
  CHECK(basic_auth_header("üser", "p:w") == "Basic w7xzZXI6cDp3");
}

TEST_CASE("error_for_status maps statuses to error kinds and never shows the password") {
  HttpOptions options;
  options.what = "questdb connector 'prod' at db:9000";
  options.username = "reader";
  options.password = "s3cret-pass";
  auto error_for = [&](int status, std::string body = {}, std::string retry_after = {}) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    if (!retry_after.empty()) response.headers.emplace_back("retry-after", retry_after);
    return error_for_status(options, response, {});
  };

  for (int status : {401, 403}) {
    Error error = error_for(status, "Unauthorized\r\n");
    CHECK(error.kind == ErrorKind::auth);
    CHECK(error.message.find("questdb connector 'prod' at db:9000") != std::string::npos);
    CHECK(error.message.find("'reader'") != std::string::npos);
    CHECK(error.message.find("Unauthorized") != std::string::npos);
    CHECK(error.message.find("s3cret") == std::string::npos);
  }
  Error limited = error_for(429, "slow down", "7");
  CHECK(limited.kind == ErrorKind::transient);
  CHECK(limited.retry_after == 7s);
  CHECK(error_for(429, "", "Wed, 21 Oct 2026 07:28:00 GMT").retry_after == 0ms);
  for (int status : {500, 502, 503, 504}) {
    CHECK(error_for(status).kind == ErrorKind::transient);
    CHECK(error_for(status).retryable());
  }
  CHECK(error_for(404, "Not Found").kind == ErrorKind::not_found);
  CHECK(error_for(400).kind == ErrorKind::query);
  CHECK(error_for(405).kind == ErrorKind::query);
  CHECK(error_for(501).kind == ErrorKind::query);

  HttpResponse response;
  response.status = 400;
  response.body = R"({"error":"ignored when a message is given"})";
  Error error = error_for_status(options, response, "Invalid column: nope");
  CHECK(error.message.find("HTTP 400") != std::string::npos);
  CHECK(error.message.find("Invalid column: nope") != std::string::npos);
  CHECK(error.message.find("ignored") == std::string::npos);

  options.username.clear();
  CHECK(error_for(401).message.find("no username is configured") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// retry_loop

RetryPolicy fast_policy(int attempts) {
  RetryPolicy policy;
  policy.max_attempts = attempts;
  policy.initial_backoff = 1ms;
  policy.max_backoff = 4ms;
  return policy;
}

TEST_CASE("retry_loop retries retryable errors up to max_attempts") {
  int calls = 0;
  std::vector<int> retried;
  Status status = retry_loop(
      fast_policy(4), {},
      [&]() -> Status {
        ++calls;
        return make_error(calls % 2 ? ErrorKind::transient : ErrorKind::protocol, "boom " + std::to_string(calls));
      },
      [&](const Error& error, int attempt, Duration wait) {
        CHECK(error.retryable());
        CHECK(wait <= 4ms);
        retried.push_back(attempt);
      });
  CHECK(calls == 4);
  CHECK(retried == std::vector<int>{1, 2, 3});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::protocol);
  CHECK(status.error().message.find("boom 4") != std::string::npos);
  CHECK(status.error().message.find("4 attempts") != std::string::npos);
}

TEST_CASE("retry_loop returns the first success") {
  int calls = 0;
  Status status = retry_loop(fast_policy(5), {}, [&]() -> Status {
    return ++calls < 3 ? Status(make_error(ErrorKind::transient, "not yet")) : ok_status();
  });
  CHECK(status.ok());
  CHECK(calls == 3);
}

TEST_CASE("retry_loop stops at once on a non-retryable error") {
  for (ErrorKind kind : {ErrorKind::query, ErrorKind::auth, ErrorKind::not_found, ErrorKind::config}) {
    int calls = 0;
    Status status = retry_loop(fast_policy(5), {}, [&]() -> Status {
      ++calls;
      return make_error(kind, "no");
    });
    CHECK(calls == 1);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == kind);
  }
}

TEST_CASE("retry_loop is cancelled by the stop token, also while waiting") {
  std::stop_source stopped;
  stopped.request_stop();
  int calls = 0;
  Status status = retry_loop(fast_policy(3), stopped.get_token(), [&]() -> Status {
    ++calls;
    return ok_status();
  });
  CHECK(calls == 0);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::cancelled);

  RetryPolicy slow;
  slow.max_attempts = 10;
  slow.initial_backoff = 30s;
  slow.max_backoff = 30s;
  std::stop_source source;
  auto started = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    source.request_stop();
  });
  calls = 0;
  status = retry_loop(slow, source.get_token(), [&]() -> Status {
    ++calls;
    Error error = make_error(ErrorKind::transient, "down");
    error.retry_after = 30s;  // the wait is at least this long
    return error;
  });
  stopper.join();
  CHECK(calls == 1);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::cancelled);
  CHECK(status.error().message.find("down") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("retry_loop waits at least retry_after") {
  int calls = 0;
  Duration told{0};
  auto started = std::chrono::steady_clock::now();
  Status status = retry_loop(
      fast_policy(2), {},
      [&]() -> Status {
        if (++calls == 2) return ok_status();
        Error error = make_error(ErrorKind::transient, "429");
        error.retry_after = 150ms;
        return error;
      },
      [&](const Error&, int, Duration wait) { told = wait; });
  CHECK(status.ok());
  CHECK(calls == 2);
  CHECK(told == 150ms);
  CHECK(std::chrono::steady_clock::now() - started >= 150ms);
}

TEST_CASE("retry_loop backoff grows exponentially up to max_backoff") {
  RetryPolicy policy;
  policy.max_attempts = 8;
  policy.initial_backoff = 1ms;
  policy.max_backoff = 8ms;
  std::vector<Duration> waits;
  (void)retry_loop(
      policy, {}, []() -> Status { return make_error(ErrorKind::transient, "x"); },
      [&](const Error&, int, Duration wait) { waits.push_back(wait); });
  REQUIRE(waits.size() == 7);
  std::vector<Duration> caps = {1ms, 2ms, 4ms, 8ms, 8ms, 8ms, 8ms};
  for (size_t i = 0; i < waits.size(); ++i) {
    CHECK(waits[i] >= 0ms);
    CHECK(waits[i] <= caps[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// The framing check on recorded bytes

using http_internal::ResponseFraming;

TEST_CASE("framing: a clean chunked QuestDB response with the 00 terminator is complete") {
  std::string wire = read_fixture("001_select-1.wire");
  ResponseFraming whole;
  whole.consume(wire);
  CHECK(whole.problem() == "");
  CHECK(whole.complete());
  REQUIRE(whole.headers().size() == 5);
  CHECK(whole.headers()[0] == std::pair<std::string, std::string>("Server", "questDB/1.0"));
  CHECK(whole.headers()[4].second == "timeout=5, max=10000");

  ResponseFraming bytewise;  // split anywhere, e.g. inside "\r\n" and chunk sizes
  for (char c : wire) bytewise.consume(std::string_view(&c, 1));
  CHECK(bytewise.problem() == "");
  CHECK(bytewise.complete());

  ResponseFraming cut;
  cut.consume(std::string_view(wire).substr(0, wire.size() - 3));
  CHECK(cut.problem() == "");
  CHECK_FALSE(cut.complete());
  cut.consume_end_of_stream();
  CHECK(cut.problem().find("closed the connection") != std::string::npos);
}

TEST_CASE("framing: QuestDB's broken responses 530 and 531 are rejected") {
  ResponseFraming small;
  small.consume(read_fixture("530_midstream-error-small.wire"));
  CHECK(small.problem().find("not a header") != std::string::npos);
  CHECK(small.problem().find("HTTP/1.1 400 Bad request") != std::string::npos);
  CHECK_FALSE(small.complete());

  ResponseFraming big;
  big.consume(read_fixture("531_midstream-error-after-2mb.wire"));
  CHECK(big.problem().find("not followed by CRLF") != std::string::npos);
  CHECK(big.problem().find("2097147") != std::string::npos);
  CHECK_FALSE(big.complete());
}

TEST_CASE("framing: Content-Length bodies, interim responses and trailing bytes") {
  ResponseFraming sized;
  sized.consume("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
  CHECK_FALSE(sized.complete());
  sized.consume("lo");
  CHECK(sized.complete());
  sized.consume("HTTP/1.1 200 OK\r\n");
  CHECK(sized.problem().find("follow the end of the response") != std::string::npos);

  ResponseFraming interim;
  interim.consume("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
  CHECK(interim.complete());
  CHECK(interim.headers().size() == 1);

  ResponseFraming until_close;
  until_close.consume("HTTP/1.1 200 OK\r\n\r\nabc");
  CHECK_FALSE(until_close.complete());
  until_close.consume_end_of_stream();
  CHECK(until_close.complete());

  ResponseFraming bad_size;
  bad_size.consume("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  CHECK(bad_size.problem().find("chunk size") != std::string::npos);

  ResponseFraming bare_lf;
  bare_lf.consume("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n");
  CHECK(bare_lf.problem().find("CRLF") != std::string::npos);

  ResponseFraming not_http;
  not_http.consume("Server: questDB/1.0\r\n");
  CHECK(not_http.problem().find("status line") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The client against recorded QuestDB bytes

TEST_CASE("client: a clean chunked response, sent with keep-alive and pre-emptive Basic auth") {
  ScriptedServer server({{read_fixture("001_select-1.wire")}, {read_fixture("720_keepalive-1.wire")}});
  HttpOptions options = options_for(server);
  options.username = "admin";
  options.password = "quest";
  HttpClient client(options);

  auto first = client.send(get("/exec?query=select%201%20x"));
  REQUIRE(first.ok());
  CHECK(first->status == 200);
  CHECK(first->body ==
        R"({"query":"select 1 x","columns":[{"name":"x","type":"INT"}],"timestamp":-1,"dataset":[[1]],"count":1})");
  REQUIRE(first->headers.size() == 5);
  CHECK(first->headers[0].first == "Server");  // arrival order, not sorted
  CHECK(first->headers[2].first == "Transfer-Encoding");
  CHECK(first->header("content-type") == "application/json; charset=utf-8");
  CHECK(first->header("X-Missing") == "");

  auto second = client.send(get("/exec?query=select%201%20a"));
  REQUIRE(second.ok());
  CHECK(second->body.find(R"("dataset":[[1]])") != std::string::npos);
  CHECK(server.connections() == 1);  // both requests on one kept-alive connection

  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].rfind("GET /exec?query=select%201%20x HTTP/1.1\r\n", 0) == 0);
  CHECK(requests[0].find("\r\nAuthorization: Basic YWRtaW46cXVlc3Q=\r\n") != std::string::npos);
  CHECK(requests[0].find("Connection: close") == std::string::npos);
  CHECK(requests[0].find("\r\nUser-Agent: tsyncd/") != std::string::npos);
  CHECK(requests[1].rfind("GET /exec?query=select%201%20a HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("client: no Authorization header without a username") {
  ScriptedServer server({Reply(read_fixture("001_select-1.wire"))});
  HttpClient client(options_for(server));
  REQUIRE(client.send(get("/exec?query=x")).ok());
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].find("Authorization") == std::string::npos);
}

TEST_CASE("client: a POST body goes out with exactly the given Content-Type") {
  ScriptedServer server({Reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")});
  HttpClient client(options_for(server));
  HttpRequest request;
  request.method = "POST";
  request.target = "/druid/v2/sql";
  request.body = R"({"query":"SELECT 1"})";
  request.content_type = "application/json";
  auto response = client.send(request);
  REQUIRE(response.ok());
  CHECK(response->body == "[]");
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].rfind("POST /druid/v2/sql HTTP/1.1\r\n", 0) == 0);
  CHECK(requests[0].find("\r\nContent-Type: application/json\r\n") != std::string::npos);
  CHECK(requests[0].find("charset") == std::string::npos);
  CHECK(requests[0].find("\r\nContent-Length: 20\r\n") != std::string::npos);
  CHECK(requests[0].substr(requests[0].size() - 20) == R"({"query":"SELECT 1"})");
}

TEST_CASE("client: QuestDB's broken framing (530, 531) is a protocol error, then a fresh connection") {
  for (std::string fixture : {"530_midstream-error-small.wire", "531_midstream-error-after-2mb.wire"}) {
    CAPTURE(fixture);
    ScriptedServer server({{read_fixture(fixture)}, {read_fixture("001_select-1.wire")}});
    HttpClient client(options_for(server));
    auto broken = client.send(get("/exec?query=broken"));
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().kind == ErrorKind::protocol);
    CHECK(broken.error().message.find("questdb connector 'test'") != std::string::npos);
    CHECK(broken.error().message.find("GET /exec") != std::string::npos);
    CHECK(broken.error().message.find(fixture.rfind("530", 0) == 0 ? "not a header" : "not followed by CRLF") !=
          std::string::npos);

    auto next = client.send(get("/exec?query=select%201%20x"));
    REQUIRE(next.ok());
    CHECK(next->status == 200);
    CHECK(next->body.find(R"("count":1})") != std::string::npos);
    CHECK(server.connections() == 2);
  }
}

TEST_CASE("client: a connection closed mid-body is a transient error") {
  std::string wire = read_fixture("100_all-types.wire");
  ScriptedServer server({{wire.substr(0, wire.size() / 2), true}, {wire}});
  HttpClient client(options_for(server));
  auto cut = client.send(get("/exec?query=SELECT%20%2A%20FROM%20all_types"));
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().kind == ErrorKind::transient);
  CHECK(cut.error().message.find("closed the connection") != std::string::npos);
  CHECK(cut.error().message.find("httplib: Read") != std::string::npos);

  auto whole = client.send(get("/exec?query=SELECT%20%2A%20FROM%20all_types"));
  REQUIRE(whole.ok());
  CHECK(whole->body == read_fixture_body("100_all-types.resp"));
}

TEST_CASE("client: a 401 text/plain answer is a response; error_for_status makes it an auth error") {
  ScriptedServer server({{read_fixture("600_auth-none.wire")}, {read_fixture("001_select-1.wire")}});
  HttpOptions options = options_for(server);
  options.username = "admin";
  options.password = "wrong-password";
  HttpClient client(options);
  auto response = client.send(get("/exec?query=select%201%20x"));
  REQUIRE(response.ok());
  CHECK(response->status == 401);
  CHECK(response->body == "Unauthorized\r\n");
  Error error = error_for_status(options, *response, response->body);
  CHECK(error.kind == ErrorKind::auth);
  CHECK(error.message.find("'admin'") != std::string::npos);
  CHECK(error.message.find("wrong-password") == std::string::npos);
  // The connection stays usable after a 401 (F:620/621).
  REQUIRE(client.send(get("/exec?query=select%201%20x")).ok());
  CHECK(server.connections() == 1);
}

TEST_CASE("client: bytes arriving on an idle kept-alive connection make the next request reconnect") {
  Reply first{read_fixture("001_select-1.wire")};
  first.unrequested = "HTTP/1.1 400 Bad request\r\n";
  ScriptedServer server({first, {read_fixture("720_keepalive-1.wire")}});
  HttpClient client(options_for(server));
  REQUIRE(client.send(get("/exec?query=a")).ok());
  std::this_thread::sleep_for(300ms);  // the stray bytes arrive meanwhile
  auto second = client.send(get("/exec?query=b"));
  REQUIRE(second.ok());
  CHECK(second->status == 200);
  CHECK(second->body.find(R"("query":"select 1 a")") != std::string::npos);
  CHECK(server.connections() == 2);
}

TEST_CASE("client: a server that does not answer in read_timeout gives a transient error") {
  Reply slow{read_fixture("001_select-1.wire")};
  slow.delay = 1500ms;
  ScriptedServer server({slow});
  HttpOptions options = options_for(server);
  options.read_timeout = 200ms;
  HttpClient client(options);
  auto started = std::chrono::steady_clock::now();
  auto response = client.send(get("/exec?query=slow"));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::transient);
  CHECK(response.error().message.find("read_timeout 200ms") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 1200ms);
}

TEST_CASE("client: a refused connection is a transient error naming the server") {
  int port;
  {
    ScriptedServer gone({});
    port = gone.port();
  }
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.what = "questdb connector 'x' at 127.0.0.1";
  options.connect_timeout = 1s;
  HttpClient client(options);
  auto response = client.send(get("/exec?query=x"));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::transient);
  CHECK(response.error().message.find("questdb connector 'x'") != std::string::npos);
  CHECK(response.error().message.find("cannot connect to 127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// TLS

// A self-signed certificate for localhost/127.0.0.1 in a temporary directory, and a server
// SSL_CTX that presents it.
class TestCertificate {
 public:
  TestCertificate() {
    // OpenSSL writes with write(2): a peer that hung up mid-handshake raises SIGPIPE. The daemon
    // ignores SIGPIPE process-wide; so does this test.
    std::signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/tsyncd-http-test-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    dir_ = dir;
    cert_path_ = dir_ + "/cert.pem";

    EVP_PKEY* key = EVP_EC_gen("P-256");
    REQUIRE(key != nullptr);
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    REQUIRE(san != nullptr);
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);

    FILE* out = std::fopen(cert_path_.c_str(), "w");
    REQUIRE(out != nullptr);
    PEM_write_X509(out, cert);
    std::fclose(out);

    server_ = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate(server_, cert) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(server_, key) == 1);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~TestCertificate() {
    SSL_CTX_free(server_);
    std::remove(cert_path_.c_str());
    ::rmdir(dir_.c_str());
  }

  const std::string& cert_path() const { return cert_path_; }
  SSL_CTX* server_context() const { return server_; }

 private:
  std::string dir_;
  std::string cert_path_;
  SSL_CTX* server_ = nullptr;
};

TEST_CASE("client over TLS: verified certificate, keep-alive, large chunked body, broken framing caught") {
  TestCertificate certificate;
  std::string big = read_fixture("710_big-100k.wire");
  ScriptedServer server(
      {Reply(read_fixture("001_select-1.wire")), Reply(big), Reply(read_fixture("531_midstream-error-after-2mb.wire")),
       Reply(read_fixture("720_keepalive-1.wire"))},
      certificate.server_context());
  HttpOptions options = options_for(server);
  options.host = "localhost";
  options.tls = true;
  options.ca_file = certificate.cert_path();
  HttpClient client(options);

  auto small = client.send(get("/exec?query=select%201%20x"));
  REQUIRE(small.ok());
  CHECK(small->body == read_fixture_body("001_select-1.resp"));

  auto large = client.send(get("/exec?query=SELECT%20ts%2C%20i%20FROM%20big_100k"));
  REQUIRE(large.ok());
  CHECK(large->body.size() == 3789046);
  CHECK(large->body.rfind(R"({"query":"SELECT ts, i FROM big_100k","columns":)", 0) == 0);
  std::string end = R"(["2024-01-02T03:46:39.000000Z",100000]],"count":100000})";
  CHECK(large->body.substr(large->body.size() - end.size()) == end);
  CHECK(server.connections() == 1);

  auto broken = client.send(get("/exec?query=broken"));
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().kind == ErrorKind::protocol);
  CHECK(broken.error().message.find("not followed by CRLF") != std::string::npos);

  auto after = client.send(get("/exec?query=select%201%20a"));
  REQUIRE(after.ok());
  CHECK(after->body == read_fixture_body("720_keepalive-1.resp"));
  CHECK(server.connections() == 2);
}

TEST_CASE("client over TLS: an untrusted certificate is a config error unless tls_verify is off") {
  TestCertificate certificate;
  ScriptedServer server({Reply(read_fixture("001_select-1.wire"))}, certificate.server_context());
  HttpOptions options = options_for(server);
  options.host = "localhost";
  options.tls = true;  // no ca_file: the system trust store does not know our certificate

  auto rejected = HttpClient(options).send(get("/exec?query=x"));
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.error().kind == ErrorKind::config);
  CHECK(rejected.error().message.find("tls_verify") != std::string::npos);

  options.tls_verify = false;
  auto accepted = HttpClient(options).send(get("/exec?query=x"));
  REQUIRE(accepted.ok());
  CHECK(accepted->status == 200);
}

}  // namespace
}  // namespace tsyncd

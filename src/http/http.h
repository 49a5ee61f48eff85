// http: one keep-alive HTTP/1.1 connection to one server, with timeouts, TLS, pre-emptive Basic
// auth, and a retry policy the sources wrap around "request + parse + validate" so that a
// truncated or malformed body is retried exactly like a dropped connection.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "core/core.h"

namespace tsyncd {

struct HttpOptions {
  std::string host = "localhost";
  int port = 80;
  bool tls = false;
  std::string ca_file;     // empty: the system trust store
  bool tls_verify = true;  // verify the server certificate and host name
  std::string username;    // when not empty, "Authorization: Basic" is sent with every request
  std::string password;    // never logged, never part of an error message
  Duration connect_timeout{std::chrono::seconds(5)};
  Duration read_timeout{std::chrono::seconds(30)};
  // Names the server in error messages, e.g. "questdb connector 'sensors' at localhost:9000".
  std::string what;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, already percent-encoded: "/exec?query=SELECT%201"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // sent only when body is not empty (or the method is POST)
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;                                          // de-chunked
  // First header with this name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One attempt. Any HTTP status is a successful Result; a connection failure, timeout or framing
  // violation (bad chunk, response cut short) is a `transient` or `protocol` Error and the
  // connection is dropped so the next request starts on a fresh socket.
  //
  // Framing is checked on every byte httplib reads, because cpp-httplib 0.11.4 itself accepts a
  // header line that is not a header and chunk data not followed by CRLF (QuestDB produces both
  // when a value fails to render mid-response, apis/questdb.md 6). A kept-alive connection that
  // has unread bytes or was closed by the server is replaced before the request is sent.
  Result<HttpResponse> send(const HttpRequest& request);

  // Closes the connection; the next send() opens a new one. For callers that find a body invalid
  // after a successful send(): whatever desynchronised the body may also have left bytes behind.
  void drop_connection();

  const HttpOptions& options() const { return options_; }

 private:
  struct Impl;
  HttpOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Maps a non-2xx status to an error of the right kind, keeping the server's own message:
// 401/403 -> auth (names the user, never the password), 429/500/502/503/504 -> transient
// (429's Retry-After honoured), 404 -> not_found, other 4xx/5xx -> query.
Error error_for_status(const HttpOptions& options, const HttpResponse& response,
                       std::string_view server_message);

struct RetryPolicy {
  int max_attempts = 5;
  Duration initial_backoff{std::chrono::milliseconds(200)};
  Duration max_backoff{std::chrono::seconds(10)};
};

// Calls `attempt` until it succeeds, fails with a non-retryable error, the attempts run out, or
// `stop` is requested (then a `cancelled` error). Between attempts it sleeps a capped exponential
// backoff with full jitter, or the error's retry_after when that is longer. `on_retry` (optional)
// is told about every failed attempt that will be retried, for logging.
Status retry_loop(const RetryPolicy& policy, std::stop_token stop, const std::function<Status()>& attempt,
                  const std::function<void(const Error&, int attempt, Duration wait)>& on_retry = {});

// Percent-encodes a URL query component. Unreserved characters stay; everything else, including
// '+' (QuestDB decodes '+' as a space) and multi-byte UTF-8, becomes %XX (uppercase hex).
std::string url_encode(std::string_view text);

// "user:pass" -> "Basic dXNlcjpwYXNz".
std::string basic_auth_header(std::string_view user, std::string_view password);

}  // namespace tsyncd

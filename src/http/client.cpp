// HttpClient on cpp-httplib 0.11.4: httplib writes requests, decodes responses and does TLS; this
// file gives it a socket stream that checks the framing of every response (see http/framing.h)
// and turns httplib's outcomes into tsyncd errors.
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "http/framing.h"
#include "http/http.h"

namespace tsyncd {
namespace {

using http_internal::ResponseFraming;

// What the stream saw of one exchange, beyond what httplib reports.
struct Exchange {
  bool expect_body = true;      // input: false for HEAD
  std::string framing_problem;  // set when the response framing was broken or unfinished
  bool timed_out = false;       // a wait for the socket ran out of time
  bool closed_by_server = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

Duration to_duration(time_t sec, time_t usec) {
  return std::chrono::duration_cast<Duration>(std::chrono::seconds(sec) + std::chrono::microseconds(usec));
}

// The socket I/O of one request, with the timeouts httplib was configured with. Every byte handed
// to httplib also goes to `framing`, and bytes read ahead stay in `buffer_` so that anything
// arriving after the response is noticed instead of being dropped with the stream.
class CheckedStream final : public httplib::Stream {
 public:
  CheckedStream(socket_t sock, SSL* ssl, Duration read_timeout, Duration write_timeout, ResponseFraming& framing,
                Exchange& exchange)
      : sock_(sock),
        ssl_(ssl),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        framing_(framing),
        exchange_(exchange),
        buffer_(64 * 1024) {
    // Handle non-application TLS records (e.g. session tickets) in our loops, not inside SSL_read.
    if (ssl_ != nullptr) SSL_clear_mode(ssl_, SSL_MODE_AUTO_RETRY);
  }

  bool is_readable() const override {
    return pos_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0) || wait(POLLIN, read_timeout_);
  }
  bool is_writable() const override { return wait(POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == end_) {
      ssize_t n = raw_read(buffer_.data(), buffer_.size());
      if (n <= 0) {
        if (n == 0) {
          exchange_.closed_by_server = true;
          framing_.consume_end_of_stream();
        }
        return n;
      }
      pos_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, end_ - pos_);
    std::memcpy(ptr, buffer_.data() + pos_, n);
    framing_.consume(std::string_view(buffer_.data() + pos_, n));
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (ssl_ == nullptr) {
      if (!is_writable()) return -1;
      ssize_t n;
      do {
        n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      } while (n < 0 && errno == EINTR);
      return n;
    }
    for (;;) {
      if (!is_writable()) return -1;
      int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      if (n > 0) return n;
      int error = SSL_get_error(ssl_, n);
      if (error != SSL_ERROR_WANT_WRITE && error != SSL_ERROR_WANT_READ) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(getsockname, ip, port); }
  socket_t socket() const override { return sock_; }

  // Bytes received but not consumed by httplib.
  size_t unread() const {
    return end_ - pos_ + (ssl_ != nullptr ? static_cast<size_t>(std::max(SSL_pending(ssl_), 0)) : 0);
  }

 private:
  bool wait(short events, Duration timeout) const {
    pollfd pfd{sock_, events, 0};
    int n;
    do {
      n = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(timeout.count(), INT_MAX)));
    } while (n < 0 && errno == EINTR);
    if (n == 0) exchange_.timed_out = true;
    return n > 0;
  }

  ssize_t raw_read(char* ptr, size_t size) {
    if (ssl_ == nullptr) {
      if (!wait(POLLIN, read_timeout_)) return -1;
      ssize_t n;
      do {
        n = ::recv(sock_, ptr, size, 0);
      } while (n < 0 && errno == EINTR);
      return n;
    }
    for (;;) {
      if (SSL_pending(ssl_) == 0 && !wait(POLLIN, read_timeout_)) return -1;
      int n = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      if (n > 0) return n;
      int error = SSL_get_error(ssl_, n);
      if (error == SSL_ERROR_ZERO_RETURN) return 0;
      if (error != SSL_ERROR_WANT_READ) return -1;
    }
  }

  template <class GetName>
  void address_of(GetName get_name, std::string& ip, int& port) const {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    ip.clear();
    port = 0;
    if (get_name(sock_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      port = ntohs(in->sin_port);
    } else if (address.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      port = ntohs(in6->sin6_port);
    }
    ip = text;
  }

  socket_t sock_;
  SSL* ssl_;
  Duration read_timeout_;
  Duration write_timeout_;
  ResponseFraming& framing_;
  Exchange& exchange_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
};

// An httplib client (plain or TLS) whose requests run on a CheckedStream. process_socket is the
// one place httplib creates the stream of a request; a broken framing makes it fail the request,
// which also makes httplib close the socket.
template <class Base>
class CheckedClient final : public Base {
 public:
  CheckedClient(const std::string& host, int port, Exchange& exchange) : Base(host, port), exchange_(exchange) {}

 private:
  bool process_socket(const typename Base::Socket& socket,
                      std::function<bool(httplib::Stream& strm)> callback) override {
    ResponseFraming framing(exchange_.expect_body);
    CheckedStream stream(socket.sock, socket.ssl, to_duration(this->read_timeout_sec_, this->read_timeout_usec_),
                         to_duration(this->write_timeout_sec_, this->write_timeout_usec_), framing, exchange_);
    bool ok = callback(stream);
    exchange_.headers = framing.headers();
    if (!framing.problem().empty()) {
      exchange_.framing_problem = framing.problem();
    } else if (ok && !framing.complete()) {
      exchange_.framing_problem = "the response ended before its framing said it would";
    } else if (ok && stream.unread() > 0) {
      exchange_.framing_problem = std::to_string(stream.unread()) + " bytes arrived after the end of the response";
    }
    return ok && exchange_.framing_problem.empty();
  }

  Exchange& exchange_;
};

std::string path_of(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }

std::string excerpt(std::string_view text, size_t max_bytes) {
  std::string out = trim(text.substr(0, max_bytes));
  if (text.size() > max_bytes) out += "...";
  return out;
}

Error transport_error(const HttpOptions& options, const HttpRequest& request, httplib::Error error,
                      const Exchange& exchange) {
  std::string where = options.host + ":" + std::to_string(options.port);
  ErrorKind kind = ErrorKind::transient;
  std::string what;
  switch (error) {
    case httplib::Error::Connection:
      what = "cannot connect to " + where;
      break;
    case httplib::Error::ConnectionTimeout:
      what = "connecting to " + where + " timed out after " + format_duration(options.connect_timeout);
      break;
    case httplib::Error::Read:
      what = "reading the response failed";
      if (!exchange.framing_problem.empty()) {
        what += ": " + exchange.framing_problem;
      } else if (exchange.timed_out) {
        what += ": no data within read_timeout " + format_duration(options.read_timeout);
      } else if (exchange.closed_by_server) {
        what += ": the server closed the connection";
      }
      break;
    case httplib::Error::Write:
      what = "sending the request failed";
      break;
    case httplib::Error::SSLConnection:
      what = "the TLS handshake with " + where + " failed";
      break;
    case httplib::Error::SSLServerVerification:
      kind = ErrorKind::config;
      what = "the TLS certificate of " + where + " was not accepted (check ca_file and tls_verify)";
      break;
    case httplib::Error::SSLLoadingCerts:
      kind = ErrorKind::config;
      what = "cannot load CA certificates from ca_file '" + options.ca_file + "'";
      break;
    default:
      if (!exchange.framing_problem.empty()) {
        kind = ErrorKind::protocol;
        what = "malformed HTTP response: " + exchange.framing_problem;
      } else {
        what = "the request failed";
      }
      break;
  }
  return make_error(kind, options.what + ": " + request.method + " " + path_of(request.target) + ": " + what +
                              " (httplib: " + httplib::to_string(error) + ")");
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(const HttpOptions& options) {
    if (options.tls) {
      auto tls = std::make_unique<CheckedClient<httplib::SSLClient>>(options.host, options.port, exchange);
      if (!options.ca_file.empty()) tls->set_ca_cert_path(options.ca_file);
      tls->enable_server_certificate_verification(options.tls_verify);
      client = std::move(tls);
    } else {
      client = std::make_unique<CheckedClient<httplib::ClientImpl>>(options.host, options.port, exchange);
    }
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_url_encode(false);  // targets arrive percent-encoded
    client->set_connection_timeout(options.connect_timeout);
    client->set_read_timeout(options.read_timeout);
    client->set_write_timeout(options.read_timeout);
  }

  // A kept-alive socket must be idle: readable means the server closed it or sent bytes nobody
  // asked for (the tail of a broken response). Either way the next response cannot be trusted on it.
  void replace_stale_connection() {
    socket_t sock = client->socket();
    if (sock == INVALID_SOCKET) return;
    char byte;
    ssize_t n = ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    client->stop();
  }

  Exchange exchange;  // declared before client, which keeps a reference to it
  std::unique_ptr<httplib::ClientImpl> client;
};

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>(options_)) {}

HttpClient::~HttpClient() = default;

void HttpClient::drop_connection() { impl_->client->stop(); }

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  impl_->replace_stale_connection();

  httplib::Request req;
  req.method = request.method;
  req.path = request.target;
  req.headers.emplace("User-Agent", "tsyncd/" TSYNCD_VERSION);
  // Pre-emptive: QuestDB never sends a WWW-Authenticate challenge.
  if (!options_.username.empty()) {
    req.headers.emplace("Authorization", basic_auth_header(options_.username, options_.password));
  }
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if ((!request.body.empty() || request.method == "POST") && !request.content_type.empty()) {
    req.headers.emplace("Content-Type", request.content_type);  // exactly as given: no charset added
  }
  req.body = request.body;

  impl_->exchange = Exchange{};
  impl_->exchange.expect_body = request.method != "HEAD";
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  bool ok = false;
  try {
    ok = impl_->client->send(req, res, error);
  } catch (const std::exception& e) {
    drop_connection();
    return make_error(ErrorKind::internal, options_.what + ": " + request.method + " " + path_of(request.target) +
                                               ": unexpected failure in the HTTP library: " + e.what());
  }
  if (!ok) {
    drop_connection();
    return transport_error(options_, request, error, impl_->exchange);
  }

  HttpResponse response;
  response.status = res.status;
  response.headers = std::move(impl_->exchange.headers);
  response.body = std::move(res.body);
  return response;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

Error error_for_status(const HttpOptions& options, const HttpResponse& response, std::string_view server_message) {
  std::string said = excerpt(server_message.empty() ? std::string_view(response.body) : server_message, 500);
  std::string message = options.what + ": HTTP " + std::to_string(response.status);
  auto with_server_text = [&](std::string text) { return said.empty() ? text : text + ": " + said; };

  switch (response.status) {
    case 401:
    case 403: {
      std::string who = options.username.empty() ? "no username is configured" : "user '" + options.username + "'";
      std::string verb = response.status == 401 ? "authentication failed" : "permission denied";
      return make_error(ErrorKind::auth, with_server_text(message + ": " + verb + " (" + who + ")"));
    }
    case 429: {
      Error error = make_error(ErrorKind::transient, with_server_text(message + ": too many requests"));
      // Retry-After in seconds; the HTTP-date form is rare for APIs and is ignored.
      std::string after = trim(response.header("Retry-After"));
      if (!after.empty() && after.size() <= 9 &&
          std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        error.retry_after = std::chrono::seconds(std::stol(after));
      }
      return error;
    }
    case 500:
    case 502:
    case 503:
    case 504:
      return make_error(ErrorKind::transient, with_server_text(message + ": server error"));
    case 404:
      return make_error(ErrorKind::not_found, with_server_text(message + ": not found"));
    default:
      return make_error(ErrorKind::query, with_server_text(message));
  }
}

}  // namespace tsyncd

// Plain POSIX sockets, one thread per connection: the fakes serve a handful of loopback clients
// and must control every byte and every close, which an HTTP library would hide.
#include "fakes/raw_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace tsyncd::fakes {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses the request line and headers of `head` (which ends with the blank line).
bool parse_head(std::string_view head, RawRequest& req) {
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  req.version = std::string(line.substr(sp2 + 1));
  size_t pos = line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;
    std::string_view h = head.substr(pos, end - pos);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) return false;
    req.headers.emplace_back(std::string(trim_spaces(h.substr(0, colon))),
                             std::string(trim_spaces(h.substr(colon + 1))));
    pos = end + 2;
  }
  req.head = std::string(head);
  return true;
}

class SocketConnection : public RawConnection {
 public:
  explicit SocketConnection(int fd) : fd_(fd) {}

  bool write(std::string_view bytes) override {
    if (broken_ || reset_) return false;
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken_ = true;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void close() override { close_ = true; }

  // The RST goes out when serve() closes the socket right after the handler returns.
  void reset() override {
    struct linger lg {1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    reset_ = true;
  }

  bool should_close() const { return close_ || broken_ || reset_; }
  bool was_reset() const { return reset_; }

 private:
  int fd_;
  bool close_ = false;
  bool broken_ = false;
  bool reset_ = false;
};

}  // namespace

std::string RawRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool RawRequest::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}

struct RawHttpServer::Impl {
  struct Conn {
    int fd = -1;  // -1 once the connection thread has closed it
    std::thread thread;
    bool done = false;
  };

  RawHandler handler;
  RawServerOptions options;
  int listen_fd = -1;
  int port = 0;
  std::thread acceptor;
  std::mutex mu;
  std::list<Conn> conns;  // guarded by mu; list: elements do not move while threads use them
  std::atomic<bool> stopping{false};
  std::atomic<size_t> served{0};
  std::once_flag stopped;

  void accept_loop();
  void serve(Conn* conn, int fd);
  void reap_finished();  // joins connection threads that have ended; caller holds no lock
  void finish(Conn* conn, int fd);
};

void RawHttpServer::Impl::reap_finished() {
  std::list<Conn> finished;
  {
    std::lock_guard lock(mu);
    for (auto it = conns.begin(); it != conns.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), conns, it);
      it = next;
    }
  }
  for (auto& c : finished) c.thread.join();
}

void RawHttpServer::Impl::accept_loop() {
  while (!stopping) {
    int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // the listener was shut down by stop()
    }
    if (stopping) {
      ::close(fd);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reap_finished();
    std::lock_guard lock(mu);
    Conn& c = conns.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, conn = &c, fd] { serve(conn, fd); });
  }
}

void RawHttpServer::Impl::finish(Conn* conn, int fd) {
  {
    std::lock_guard lock(mu);
    conn->fd = -1;
    conn->done = true;
  }
  ::close(fd);
}

void RawHttpServer::Impl::serve(Conn* conn, int fd) {
  std::string buf;
  char tmp[64 * 1024];
  auto read_more = [&]() -> bool {
    ssize_t n;
    do n = ::recv(fd, tmp, sizeof tmp, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  };

  try {
    while (!stopping) {
      size_t head_end = std::string::npos;
      size_t scanned = 0;
      while ((head_end = buf.find("\r\n\r\n", scanned)) == std::string::npos) {
        if (buf.size() > options.max_head_bytes + 4) break;
        scanned = buf.size() >= 3 ? buf.size() - 3 : 0;
        if (!read_more()) {
          finish(conn, fd);
          return;
        }
      }
      // A head over the limit is dropped without an answer, as QuestDB does.
      if (head_end == std::string::npos || head_end + 4 > options.max_head_bytes) break;
      RawRequest req;
      if (!parse_head(std::string_view(buf).substr(0, head_end + 4), req)) break;
      size_t consumed = head_end + 4;
      std::string length = req.header("Content-Length");
      if (!length.empty()) {
        size_t n = std::stoul(length);
        while (buf.size() < consumed + n)
          if (!read_more()) {
            finish(conn, fd);
            return;
          }
        req.body = buf.substr(consumed, n);
        consumed += n;
      }
      buf.erase(0, consumed);

      SocketConnection connection(fd);
      handler(req, connection);
      ++served;
      if (connection.was_reset()) {  // no FIN first: the peer must see the RST
        finish(conn, fd);
        return;
      }
      if (connection.should_close()) break;
    }
  } catch (const std::exception&) {
    // A malformed Content-Length or a failing handler: drop the connection like a crashed server.
  }
  ::shutdown(fd, SHUT_WR);
  finish(conn, fd);
}

RawHttpServer::RawHttpServer(RawHandler handler, RawServerOptions options) : impl_(new Impl) {
  impl_->handler = std::move(handler);
  impl_->options = options;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket(): " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(options.port) + ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  impl_->listen_fd = fd;
  impl_->port = ntohs(addr.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

RawHttpServer::~RawHttpServer() { stop(); }

int RawHttpServer::port() const { return impl_->port; }

size_t RawHttpServer::requests_served() const { return impl_->served; }

void RawHttpServer::stop() {
  std::call_once(impl_->stopped, [impl = impl_.get()] {
    impl->stopping = true;
    ::shutdown(impl->listen_fd, SHUT_RDWR);
    impl->acceptor.join();
    ::close(impl->listen_fd);
    {
      std::lock_guard lock(impl->mu);
      for (auto& c : impl->conns)
        if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
    }
    for (auto& c : impl->conns) c.thread.join();
    impl->conns.clear();
  });
}

}  // namespace tsyncd::fakes

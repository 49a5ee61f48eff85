// Test helpers shared by the http and sources suites: recorded QuestDB fixtures, and a loopback
// server that answers each request with the next scripted reply, byte for byte (recorded wire
// bytes, broken framing, a close mid-body), over plain TCP or TLS, recording the raw requests.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tsyncd::testing {

using namespace std::chrono_literals;

// A file of shared/fixtures/questdb (TSYNCD_FIXTURES_DIR is set by the test's meson.build).
inline std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(TSYNCD_FIXTURES_DIR) + "/questdb/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The de-chunked body of a recorded response: what follows the blank line of the .resp file.
inline std::string read_fixture_body(const std::string& name) {
  std::string resp = read_fixture(name);
  size_t blank = resp.find("\r\n\r\n");
  REQUIRE(blank != std::string::npos);
  return resp.substr(blank + 4);
}

// One scripted answer.
struct Reply {
  Reply(std::string reply_bytes, bool close = false) : bytes(std::move(reply_bytes)), close_after(close) {}

  std::string bytes;
  bool close_after;                    // close the connection after sending
  std::chrono::milliseconds delay{0};  // wait this long before answering
  std::string unrequested;             // sent 100 ms after the reply, without a request
};

// Plain TCP, or TLS with `tls` (a server SSL_CTX), so the client's TLS stream sees the same bytes.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> replies, SSL_CTX* tls = nullptr)
      : replies_(std::move(replies)), tls_(tls) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(listen_fd_, 8) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  int connections() const { return connections_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  struct Connection {
    int fd;
    SSL* ssl;
  };

  // Waits for `fd` to become readable, checking stop_ every 20 ms.
  bool wait_readable(int fd, SSL* ssl = nullptr) {
    while (!stop_) {
      if (ssl != nullptr && SSL_pending(ssl) > 0) return true;
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) > 0) return true;
    }
    return false;
  }

  void pause(std::chrono::milliseconds total) {
    for (auto slept = 0ms; slept < total && !stop_; slept += 10ms) std::this_thread::sleep_for(10ms);
  }

  void send_all(const Connection& connection, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = connection.ssl != nullptr ? SSL_write(connection.ssl, bytes.data(), static_cast<int>(bytes.size()))
                                            : ::send(connection.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads one request (head and Content-Length body); false when the peer closed.
  bool read_request(const Connection& connection, std::string& pending, std::string& request) {
    for (;;) {
      size_t head_end = pending.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t body_length = 0;
        std::string head = pending.substr(0, head_end);
        for (std::string name : {"Content-Length: ", "content-length: "}) {
          size_t at = head.find(name);
          if (at != std::string::npos) body_length = std::stoul(head.substr(at + name.size()));
        }
        size_t total = head_end + 4 + body_length;
        if (pending.size() >= total) {
          request = pending.substr(0, total);
          pending.erase(0, total);
          return true;
        }
      }
      if (!wait_readable(connection.fd, connection.ssl)) return false;
      char buffer[4096];
      ssize_t n = connection.ssl != nullptr ? SSL_read(connection.ssl, buffer, sizeof(buffer))
                                            : ::recv(connection.fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      pending.append(buffer, static_cast<size_t>(n));
    }
  }

  void serve(const Connection& connection) {
    std::string pending;
    std::string request;
    while (read_request(connection, pending, request)) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      if (next_ >= replies_.size()) return;
      const Reply& reply = replies_[next_++];
      pause(reply.delay);
      send_all(connection, reply.bytes);
      if (!reply.unrequested.empty()) {
        pause(100ms);
        send_all(connection, reply.unrequested);
      }
      if (reply.close_after) return;
    }
  }

  void run() {
    while (wait_readable(listen_fd_)) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      Connection connection{fd, nullptr};
      if (tls_ != nullptr) {
        timeval handshake_timeout{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &handshake_timeout, sizeof(handshake_timeout));
        connection.ssl = SSL_new(tls_);
        SSL_set_fd(connection.ssl, fd);
        if (SSL_accept(connection.ssl) == 1) serve(connection);
        SSL_free(connection.ssl);
      } else {
        serve(connection);
      }
      ::close(fd);
    }
  }

  std::vector<Reply> replies_;
  SSL_CTX* tls_;
  size_t next_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace tsyncd::testing

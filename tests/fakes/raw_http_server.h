// A loopback HTTP/1.1 server for fake sources. Unlike cpp-httplib's server it lets a handler write
// the exact response bytes (QuestDB's zero-padded chunk sizes and "00" terminator, Druid's
// truncated 200 bodies, broken framing, a connection closed mid-body) because tsyncd's client has
// to be tested against what the real servers send, byte for byte.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsyncd::fakes {

struct RawRequest {
  std::string method;   // "GET"
  std::string target;   // "/exec?query=..." exactly as sent (still percent-encoded)
  std::string version;  // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // read by Content-Length (chunked request bodies are not supported)
  std::string head;  // the raw request head, request line to the blank line inclusive

  // First header with this name, case-insensitive; empty when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

// One accepted TCP connection. Handlers write raw bytes; after the handler returns, the server
// reads the next request on the same connection (keep-alive) unless close() was called.
class RawConnection {
 public:
  virtual ~RawConnection() = default;
  // False when the peer has gone; the handler should then return.
  virtual bool write(std::string_view bytes) = 0;
  // Closes the socket after the handler returns (or at once, RST-like, with reset()).
  virtual void close() = 0;
  // Closes the socket with an RST (SO_LINGER 0, no FIN first) as soon as the handler returns, as
  // a crashed server's socket would: the client sees ECONNRESET instead of a clean end of stream.
  virtual void reset() = 0;
};

using RawHandler = std::function<void(const RawRequest&, RawConnection&)>;

struct RawServerOptions {
  int port = 0;                      // 0: pick a free loopback port
  size_t max_head_bytes = 32 * 1024; // a larger request head is answered by closing the socket
};

// Listens on 127.0.0.1 only; one thread per connection; stop() (and the destructor) closes the
// listener and every open connection and joins the threads.
class RawHttpServer {
 public:
  RawHttpServer(RawHandler handler, RawServerOptions options = {});
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  int port() const;
  void stop();
  // Number of requests answered so far (for tests that check retries happened).
  size_t requests_served() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsyncd::fakes

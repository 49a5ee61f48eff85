// A raw loopback client for the fake's tests: sends exact request bytes and returns the exact
// response bytes, so tests compare framing, not what an HTTP library makes of it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsyncd::fakes::testing {

// A chunk-size line; false for anything else (broken framing puts other text there).
inline bool parse_hex(std::string_view s, size_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

class TestSocket {
 public:
  explicit TestSocket(int port, int timeout_ms = 10000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestSocket() { ::close(fd_); }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  bool connected() const { return connected_; }
  // How the last read ended: 0 at a clean end of stream, else the errno (ECONNRESET, EAGAIN...).
  int last_error() const { return error_; }
  bool at_eof() const { return eof_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response as framed by its head: the head, then chunks up to the zero chunk. Returns what
  // arrived when the stream ends or breaks first.
  std::string read_response() {
    std::string out;
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return take_all();
    size_t pos = head_end + 4;
    for (;;) {
      size_t line_end;
      while ((line_end = buf_.find("\r\n", pos)) == std::string::npos)
        if (!fill()) return take_all();
      size_t size = 0;
      if (!parse_hex(std::string_view(buf_).substr(pos, line_end - pos), size)) return take_all();
      pos = line_end + 2 + size + 2;
      while (buf_.size() < pos)
        if (!fill()) return take_all();
      if (size == 0) break;
    }
    out = buf_.substr(0, pos);
    buf_.erase(0, pos);
    return out;
  }

  // One chunked response read as it streams, keeping only its head, chunk sizes and the last
  // `keep` body bytes: for responses too big to hold twice (the client must not be the bottleneck
  // of a serve-rate measurement).
  struct Streamed {
    std::string head;
    std::vector<size_t> chunk_sizes;
    size_t body_bytes = 0;
    std::string tail;
    bool complete = false;
  };
  Streamed stream_response(size_t keep = 64) {
    Streamed r;
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    r.head = buf_.substr(0, head_end + 4);
    buf_.erase(0, head_end + 4);
    for (;;) {
      size_t line_end;
      while ((line_end = buf_.find("\r\n")) == std::string::npos)
        if (!fill()) return r;
      size_t size = 0;
      if (!parse_hex(std::string_view(buf_).substr(0, line_end), size)) return r;
      buf_.erase(0, line_end + 2);
      size_t remaining = size + 2;  // data and its CRLF
      while (remaining > 0) {
        if (buf_.empty() && !fill()) return r;
        size_t take = std::min(remaining, buf_.size());
        size_t data = std::min(take, remaining > 2 ? remaining - 2 : 0);
        r.tail += buf_.substr(0, data);
        if (r.tail.size() > keep) r.tail.erase(0, r.tail.size() - keep);
        r.body_bytes += data;
        buf_.erase(0, take);
        remaining -= take;
      }
      if (size == 0) {
        r.complete = true;
        return r;
      }
      r.chunk_sizes.push_back(size);
    }
  }

  // Everything until the server closes the connection (or the read times out).
  std::string read_until_close() {
    while (fill()) {
    }
    return take_all();
  }

 private:
  bool fill() {
    char tmp[256 * 1024];
    ssize_t n;
    do n = ::recv(fd_, tmp, sizeof tmp, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      eof_ = n == 0;
      error_ = n == 0 ? 0 : errno;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  std::string take_all() { return std::exchange(buf_, std::string()); }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  int error_ = 0;
  std::string buf_;
};

// Percent-encoding as tsyncd sends it: unreserved characters kept, everything else %XX.
inline std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string exec_request(std::string_view sql, std::string_view extra_headers = {}) {
  return "GET /exec?query=" + url_encode(sql) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers) +
         "\r\n";
}

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked
  std::vector<size_t> chunk_sizes;
  bool complete = false;  // the zero chunk arrived

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

inline Response parse_response(const std::string& raw) {
  Response r;
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end + 2) {
    size_t end = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, end - pos);
    size_t colon = line.find(": ");
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    pos = end + 2;
  }
  pos = head_end + 4;
  for (;;) {
    size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string::npos) return r;
    size_t size = 0;
    if (!parse_hex(std::string_view(raw).substr(pos, line_end - pos), size)) return r;
    if (size == 0) {
      r.complete = raw.compare(line_end, 4, "\r\n\r\n") == 0;
      return r;
    }
    if (line_end + 2 + size > raw.size()) {
      r.body += raw.substr(line_end + 2);
      return r;
    }
    r.chunk_sizes.push_back(size);
    r.body += raw.substr(line_end + 2, size);
    pos = line_end + 2 + size + 2;
  }
}

}  // namespace tsyncd::fakes::testing

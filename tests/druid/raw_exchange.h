// One raw HTTP/1.1 exchange over loopback for the Druid suites: exact request bytes out, the
// response's status, headers (in arrival order) and de-chunked body back. Requests are sent with
// "Connection: close", so the response ends when the server closes the socket.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsyncd::druid_test {

struct RawResponse {
  int status = 0;  // 0: no response
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;

  std::vector<std::string> values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers)
      if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          }))
        out.push_back(v);
    return out;
  }
  std::string header(std::string_view name) const {
    auto v = values(name);
    return v.empty() ? std::string() : v.front();
  }
};

inline std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

inline RawResponse parse_response(const std::string& raw) {
  RawResponse r;
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return r;
  r.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    size_t end = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, end - pos);
    size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers.emplace_back(line.substr(0, colon), value);
    pos = end + 2;
  }
  std::string rest = raw.substr(head_end + 4);
  if (r.header("Transfer-Encoding") == "chunked") {
    r.chunked = true;
    size_t at = 0;
    for (;;) {
      size_t line_end = rest.find("\r\n", at);
      if (line_end == std::string::npos) break;
      size_t size = std::stoul(rest.substr(at, line_end - at), nullptr, 16);
      if (size == 0) break;
      r.body += rest.substr(line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
  } else {
    r.body = rest;
  }
  return r;
}

// Sends `head` (request line and headers, without the final blank line) plus `body`; adds
// Content-Length (when there is a body or the method is POST), Host and Connection: close.
inline RawResponse exchange(int port, const std::string& head, const std::string& body = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  RawResponse r;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = head + "\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
    if (!body.empty() || head.rfind("POST", 0) == 0) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    std::string_view rest = request;
    while (!rest.empty()) {
      ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    r = parse_response(read_all(fd));
  }
  ::close(fd);
  return r;
}

// A POST of a JSON body to /druid/v2/sql with the given Authorization value (none when empty).
inline RawResponse post_sql(int port, const std::string& json, const std::string& authorization = "",
                            const std::string& content_type = "application/json") {
  std::string head = "POST /druid/v2/sql HTTP/1.1";
  if (!content_type.empty()) head += "\r\nContent-Type: " + content_type;
  if (!authorization.empty()) head += "\r\nAuthorization: " + authorization;
  return exchange(port, head, json);
}

}  // namespace tsyncd::druid_test

#include "fakes/questdb/framing.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace tsyncd::fakes::qdb {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

// RFC 1123 in English whatever the locale: "Mon, 23 Nov 2026 08:12:21 GMT".
std::string http_date() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

std::string head_lines(int status, ContentType type, const HeaderList& extra) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  h += "Server: questDB/1.0\r\n";
  h += "Date: " + http_date() + "\r\n";
  h += "Transfer-Encoding: chunked\r\n";
  h += type == ContentType::json ? "Content-Type: application/json; charset=utf-8\r\n"
                                 : "Content-Type: text/plain; charset=utf-8\r\n";
  for (const auto& [name, value] : extra) h += name + ": " + value + "\r\n";
  if (type == ContentType::json) h += "Keep-Alive: timeout=5, max=10000\r\n";
  return h;
}

std::string chunk_size(size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kHex[n & 15]);
    n >>= 4;
  } while (n > 0);
  if (s.size() % 2 == 1) s.insert(s.begin(), '0');
  return s;
}

std::string whole_response(int status, ContentType type, std::string_view body, const HeaderList& extra) {
  std::string r = head_lines(status, type, extra) + "\r\n";
  if (!body.empty()) {
    r += chunk_size(body.size()) + "\r\n";
    r += body;
    r += "\r\n";
  }
  r += "00\r\n\r\n";
  return r;
}

ChunkedWriter::ChunkedWriter(RawConnection& connection, int status, BodyFault fault,
                             std::function<void(std::chrono::milliseconds)> sleep)
    : connection_(connection), fault_(std::move(fault)), sleep_(std::move(sleep)) {
  head_ = head_lines(status, ContentType::json) + "\r\n";
}

bool ChunkedWriter::send(std::string_view bytes) {
  if (!head_.empty()) {
    std::string first = std::move(head_);
    head_.clear();
    first += bytes;
    if (!connection_.write(first)) stopped_ = true;
  } else if (!connection_.write(bytes)) {
    stopped_ = true;
  }
  return !stopped_;
}

bool ChunkedWriter::flush() {
  if (stopped_) return false;
  size_t offset = 0;
  while (pending_.size() - offset >= kMaxChunk && !stopped_) {
    emit(std::string_view(pending_).substr(offset, kMaxChunk), false);
    offset += kMaxChunk;
  }
  pending_.erase(0, offset);
  return !stopped_;
}

// Sends one data chunk (or, with last, the final one and the terminator), applying the body fault
// when this chunk reaches its byte offset.
bool ChunkedWriter::emit(std::string_view data, bool last) {
  bool hits = fault_.kind != BodyFault::Kind::none &&
              (sent_ + data.size() >= fault_.after || last);
  if (!hits) {
    std::string frame;
    if (!data.empty()) frame = chunk_size(data.size()) + "\r\n" + std::string(data) + "\r\n";
    if (last) frame += "00\r\n\r\n";
    sent_ += data.size();
    return send(frame);
  }
  size_t cut = fault_.after > sent_ ? std::min(fault_.after - sent_, data.size()) : 0;
  BodyFault fault = std::exchange(fault_, BodyFault{});
  switch (fault.kind) {
    case BodyFault::Kind::truncate:
      if (!data.empty()) send(chunk_size(data.size()) + "\r\n" + std::string(data.substr(0, cut)));
      else if (!head_.empty()) send("");
      connection_.close();
      stopped_ = true;
      return false;
    case BodyFault::Kind::broken:
      send((cut > 0 ? chunk_size(cut) + "\r\n" + std::string(data.substr(0, cut)) : std::string()) +
           fault.replacement);
      stopped_ = true;
      return false;
    case BodyFault::Kind::stall: {
      std::string frame = data.empty() ? std::string() : chunk_size(data.size()) + "\r\n";
      if (!send(frame + std::string(data.substr(0, cut)))) return false;
      sleep_(fault.delay);
      std::string rest = data.empty() ? std::string() : std::string(data.substr(cut)) + "\r\n";
      if (last) rest += "00\r\n\r\n";
      sent_ += data.size();
      return send(rest);
    }
    case BodyFault::Kind::none: break;
  }
  return false;
}

void ChunkedWriter::finish() {
  if (stopped_) return;
  if (!flush()) return;
  emit(pending_, true);
  pending_.clear();
}

}  // namespace tsyncd::fakes::qdb

#include "http/framing.h"

#include <algorithm>
#include <cctype>

#include "core/core.h"

namespace tsyncd::http_internal {
namespace {

// Longer lines are not HTTP heads we can trust (and would grow line_ without bound).
constexpr size_t kMaxLineBytes = 64 * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A header name is an HTTP token: visible ASCII without separators.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127 || std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The line as it may appear in an error message: short and printable.
std::string quoted_excerpt(std::string_view line) {
  std::string out = "\"";
  for (char c : line.substr(0, 80)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (line.size() > 80) out += "...";
  return out + "\"";
}

}  // namespace

void ResponseFraming::fail(std::string problem) {
  if (problem_.empty()) problem_ = std::move(problem);
}

void ResponseFraming::consume(std::string_view bytes) {
  while (!bytes.empty() && problem_.empty()) {
    switch (state_) {
      case State::status_line:
      case State::header_line:
      case State::chunk_size_line:
      case State::trailer_line:
        bytes.remove_prefix(take_line_bytes(bytes));
        break;
      case State::chunk_data:
      case State::fixed_body: {
        auto n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
        remaining_ -= n;
        bytes.remove_prefix(n);
        if (remaining_ == 0) state_ = state_ == State::chunk_data ? State::chunk_data_end : State::done;
        break;
      }
      case State::chunk_data_end: {
        char expected = chunk_end_seen_ == 0 ? '\r' : '\n';
        if (bytes.front() != expected) {
          fail("chunk data (" + std::to_string(chunk_size_) + " bytes) is not followed by CRLF but by " +
               quoted_excerpt(bytes.substr(0, 40)) + "; the server broke off the response");
          return;
        }
        bytes.remove_prefix(1);
        if (++chunk_end_seen_ == 2) {
          chunk_end_seen_ = 0;
          state_ = State::chunk_size_line;
        }
        break;
      }
      case State::until_close:
        return;
      case State::done:
        fail(std::to_string(bytes.size()) +
             " bytes follow the end of the response: " + quoted_excerpt(bytes.substr(0, 40)));
        return;
    }
  }
}

void ResponseFraming::consume_end_of_stream() {
  if (state_ == State::until_close) {
    state_ = State::done;
  } else if (state_ != State::done) {
    fail("the server closed the connection before the response was complete");
  }
}

size_t ResponseFraming::take_line_bytes(std::string_view bytes) {
  size_t newline = bytes.find('\n');
  size_t used = newline == std::string_view::npos ? bytes.size() : newline + 1;
  if (line_.size() + used > kMaxLineBytes) {
    fail("a line of the response head is longer than 64 KiB");
    return bytes.size();
  }
  line_.append(bytes.data(), used);
  if (newline == std::string_view::npos) return used;

  std::string line = std::move(line_);
  line_.clear();
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    fail("a line of the response head does not end with CRLF: " + quoted_excerpt(line));
    return used;
  }
  line.resize(line.size() - 2);
  on_line(line);
  return used;
}

void ResponseFraming::on_line(std::string_view line) {
  switch (state_) {
    case State::status_line:
      on_status_line(line);
      break;
    case State::header_line:
      line.empty() ? on_end_of_head() : on_header_line(line);
      break;
    case State::chunk_size_line:
      on_chunk_size_line(line);
      break;
    case State::trailer_line:
      if (line.empty()) {
        state_ = State::done;
      } else if (line.find(':') == std::string_view::npos) {
        fail("the chunk trailer contains a line that is not a header: " + quoted_excerpt(line));
      }
      break;
    default:
      break;
  }
}

void ResponseFraming::on_status_line(std::string_view line) {
  // "HTTP/1.x DDD[ reason]"
  bool ok = line.size() >= 12 && line.substr(0, 7) == "HTTP/1." && std::isdigit(static_cast<unsigned char>(line[7])) &&
            line[8] == ' ' && (line.size() == 12 || line[12] == ' ');
  for (size_t i = 9; ok && i < 12; ++i) ok = std::isdigit(static_cast<unsigned char>(line[i])) != 0;
  if (!ok) {
    fail("the response does not start with an HTTP/1.x status line: " + quoted_excerpt(line));
    return;
  }
  status_ = std::stoi(std::string(line.substr(9, 3)));
  headers_.clear();
  chunked_ = false;
  has_content_length_ = false;
  state_ = State::header_line;
}

void ResponseFraming::on_header_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    fail("the response head contains a line that is not a header: " + quoted_excerpt(line));
    return;
  }
  std::string name(line.substr(0, colon));
  std::string value = trim(line.substr(colon + 1));
  std::string key = lower(name);
  if (key == "transfer-encoding") {
    // The last coding decides; anything but chunked means the body runs to the close.
    std::string codings = lower(value);
    chunked_ = codings.size() >= 7 && codings.compare(codings.size() - 7, 7, "chunked") == 0;
  } else if (key == "content-length") {
    bool digits = !value.empty() && value.size() <= 18 &&
                  std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      fail("invalid Content-Length " + quoted_excerpt(value));
      return;
    }
    uint64_t length = std::stoull(value);
    if (has_content_length_ && length != content_length_) {
      fail("two different Content-Length headers");
      return;
    }
    has_content_length_ = true;
    content_length_ = length;
  }
  headers_.emplace_back(std::move(name), std::move(value));
}

void ResponseFraming::on_end_of_head() {
  if (status_ >= 100 && status_ < 200) {  // an interim response; the real one follows
    state_ = State::status_line;
  } else if (!expect_body_ || status_ == 204 || status_ == 304) {
    state_ = State::done;
  } else if (chunked_) {
    state_ = State::chunk_size_line;
  } else if (has_content_length_) {
    remaining_ = content_length_;
    state_ = remaining_ == 0 ? State::done : State::fixed_body;
  } else {
    state_ = State::until_close;
  }
}

void ResponseFraming::on_chunk_size_line(std::string_view line) {
  // Hex digits, then optional chunk extensions after ';'.
  std::string_view digits = line.substr(0, line.find(';'));
  while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t')) digits.remove_suffix(1);
  bool ok = !digits.empty() && digits.size() <= 15 && std::all_of(digits.begin(), digits.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c));
  });
  if (!ok) {
    fail("invalid chunk size line " + quoted_excerpt(line));
    return;
  }
  chunk_size_ = std::stoull(std::string(digits), nullptr, 16);
  if (chunk_size_ == 0) {
    state_ = State::trailer_line;
  } else {
    remaining_ = chunk_size_;
    state_ = State::chunk_data;
  }
}

}  // namespace tsyncd::http_internal

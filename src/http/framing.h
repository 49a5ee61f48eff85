// http/framing.h (private to src/http): follows the HTTP/1.1 framing of one response, byte by byte.
//
// cpp-httplib 0.11.4 lets two framing violations through as successful responses, and QuestDB
// produces both when a value fails to render after the 200 head was sent (apis/questdb.md 6):
//   - a header line that is not a header (a whole second `HTTP/1.1 400` response starts inside
//     the 200 header block, fixture 530): httplib skips the line and returns status 200 with the
//     400's error JSON as the body;
//   - chunk data not followed by CRLF (the `HTTP/1.1 400` text appears where the CRLF belongs,
//     fixture 531): httplib ends the body there and returns 200 with a page cut in mid-row.
// The client's socket stream feeds this check every byte it hands to httplib, and turns a broken
// or unfinished framing into a protocol error, so neither can pass as a clean response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsyncd::http_internal {

class ResponseFraming {
 public:
  // `expect_body`: false for responses to HEAD, which have a head only.
  explicit ResponseFraming(bool expect_body = true) : expect_body_(expect_body) {}

  // The next bytes of the response as they are read from the connection.
  void consume(std::string_view bytes);
  // The connection was closed by the server.
  void consume_end_of_stream();

  // The response ended exactly where its framing says (last chunk and CRLF, Content-Length bytes,
  // or the close of a connection-delimited body).
  bool complete() const { return state_ == State::done; }
  // What is wrong with the framing; empty while it is fine.
  const std::string& problem() const { return problem_; }
  // The header fields of the final response head, in arrival order.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  enum class State {
    status_line,
    header_line,
    chunk_size_line,
    chunk_data,
    chunk_data_end,  // the CRLF after a chunk's data
    trailer_line,
    fixed_body,   // Content-Length bytes
    until_close,  // neither chunked nor Content-Length: the body ends with the connection
    done,
  };

  // Consumes bytes of a CRLF-terminated line; returns how many were used.
  size_t take_line_bytes(std::string_view bytes);
  void on_line(std::string_view line);  // one complete line, without its CRLF
  void on_status_line(std::string_view line);
  void on_header_line(std::string_view line);
  void on_end_of_head();
  void on_chunk_size_line(std::string_view line);
  void fail(std::string problem);

  bool expect_body_;
  State state_ = State::status_line;
  std::string line_;        // the line being assembled
  uint64_t remaining_ = 0;  // bytes left in the current chunk or fixed-length body
  uint64_t chunk_size_ = 0;
  int chunk_end_seen_ = 0;  // bytes of the CRLF after chunk data seen so far
  int status_ = 0;
  bool chunked_ = false;
  bool has_content_length_ = false;
  uint64_t content_length_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string problem_;
};

}  // namespace tsyncd::http_internal

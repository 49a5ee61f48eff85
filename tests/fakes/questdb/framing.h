// QuestDB's HTTP framing (questdb.md §1), byte for byte: status line with QuestDB's reason
// phrases; headers Server, Date, Transfer-Encoding: chunked, Content-Type[, Keep-Alive]; every body
// chunked, chunk sizes in lowercase hex zero-padded to an even digit count, data chunks of at most
// 2,097,147 bytes cut by byte count (mid-row, even mid-character), terminator "00\r\n\r\n".
//
// The chunked writer also carries the faults that hit a body in flight (cut, broken framing,
// stall) because only it knows where the body bytes are.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fakes/raw_http_server.h"

namespace tsyncd::fakes::qdb {

inline constexpr size_t kMaxChunk = 2097147;  // QuestDB's 2 MiB send buffer less the framing

enum class ContentType { json, text };

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// "HTTP/1.1 400 Bad request\r\nServer: ...\r\n" up to the last header line, without the blank
// line that ends the head (F:530 shows QuestDB sending exactly that when a render fails).
std::string head_lines(int status, ContentType type, const HeaderList& extra = {});
// "6b" / "02a5" / "1ffffb".
std::string chunk_size(size_t n);
// A whole small response: head, one data chunk (none for an empty body), terminator.
std::string whole_response(int status, ContentType type, std::string_view body, const HeaderList& extra = {});

// What happens to a body in flight once `after` body bytes have been produced.
struct BodyFault {
  enum class Kind { none, truncate, broken, stall };
  Kind kind = Kind::none;
  size_t after = 0;
  std::string replacement;  // broken: the raw response that replaces the rest
  std::chrono::milliseconds delay{0};  // stall
};

// Streams a JSON answer. Append to buffer(), call flush() now and then; finish() at the end.
class ChunkedWriter {
 public:
  ChunkedWriter(RawConnection& connection, int status, BodyFault fault,
                std::function<void(std::chrono::milliseconds)> sleep);

  std::string& buffer() { return pending_; }
  // Sends the complete chunks in the buffer. False once nothing more should be rendered.
  bool flush();
  void finish();

 private:
  bool emit(std::string_view data, bool last);
  bool send(std::string_view bytes);

  RawConnection& connection_;
  BodyFault fault_;
  std::function<void(std::chrono::milliseconds)> sleep_;
  std::string head_;     // sent with the first chunk
  std::string pending_;  // body bytes not sent yet
  size_t sent_ = 0;      // body bytes sent
  bool stopped_ = false;
};

}  // namespace tsyncd::fakes::qdb

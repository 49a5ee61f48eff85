// End-to-end harness: runs the real tsyncd binary as a child process (the path comes from the
// TSYNCD_BINARY environment variable meson sets), writes its config into a temp directory, talks
// to its status endpoint over loopback, and reads the destination back for value-by-value checks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tsyncd::e2e {

// A temp directory removed at the end of the test.
struct TempDir {
  TempDir();
  ~TempDir();
  std::filesystem::path path;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);
int free_port();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `tsyncd <args...>` to completion (bounded by `timeout`).
CommandResult run_tsyncd(const std::vector<std::string>& args,
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// The daemon (`tsyncd run --config ...`) as a child process; killed (-9) in the destructor if still running.
class Daemon {
 public:
  explicit Daemon(const std::string& config_path, const std::string& log_path);
  ~Daemon();
  pid_t pid() const { return pid_; }
  void kill9();
  void signal(int sig);
  // Waits for exit; nullopt on timeout. Returns the exit code (128+signal when killed).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM (the way systemd stops it), then wait().
  std::optional<int> terminate(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// HTTP against the daemon's status endpoint; status 0 when nothing answered.
struct HttpResult {
  int status = 0;
  std::string body;
};
HttpResult http_get(int port, const std::string& path);
HttpResult http_post(int port, const std::string& path, const std::string& bearer = "");

// Polls until pred() is true; false on timeout.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// Every row of an SQLite table as canonical strings, one per row, sorted: each cell is
// "null", "i:<int>", "r:<double bits in hex>", "t:<text>" or "b:<hex>", joined by '|'.
// `columns` are the user columns to read, in order.
std::vector<std::string> sqlite_rows(const std::string& db_path, const std::string& table,
                                     const std::vector<std::string>& columns);

// Rows in an SQLite table; 0 when the file or table does not exist yet.
int64_t sqlite_count(const std::string& db_path, const std::string& table);

// Canonical cell strings for expected values (same encoding as sqlite_rows).
std::string cell_null();
std::string cell_int(int64_t v);
std::string cell_real(double v);
std::string cell_text(const std::string& v);
std::string cell_blob(const std::string& bytes);

}  // namespace tsyncd::e2e

#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tsyncd::e2e {
namespace {

std::string binary() {
  const char* path = std::getenv("TSYNCD_BINARY");
  if (!path) throw std::runtime_error("TSYNCD_BINARY is not set (run the suite through meson test)");
  return path;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  std::string bin = binary();
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      ::close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() /
         ("tsyncd_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
  std::filesystem::create_directories(path);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

CommandResult run_tsyncd(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  char log_template[] = "/tmp/tsyncd_cmd_XXXXXX";
  int fd = mkstemp(log_template);
  ::close(fd);
  pid_t pid = spawn(args, log_template);
  CommandResult result;
  auto code = wait_pid(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    code = wait_pid(pid, std::chrono::seconds(10));
    result.output = "(timed out)\n";
  }
  result.exit_code = code.value_or(-1);
  result.output += read_file(log_template);
  std::remove(log_template);
  return result;
}

Daemon::Daemon(const std::string& config_path, const std::string& log_path) : log_path_(log_path) {
  pid_ = spawn({"run", "--config", config_path}, log_path);
}

Daemon::~Daemon() {
  if (pid_ > 0 && running()) kill9();
}

void Daemon::kill9() {
  ::kill(pid_, SIGKILL);
  wait_pid(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

void Daemon::signal(int sig) { ::kill(pid_, sig); }

std::optional<int> Daemon::wait(std::chrono::milliseconds timeout) {
  auto code = wait_pid(pid_, timeout);
  if (code) pid_ = -1;
  return code;
}

std::optional<int> Daemon::terminate(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  return wait(timeout);
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string Daemon::log() const { return read_file(log_path_); }

HttpResult http_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get(path.c_str());
  if (!res) return {};
  return {res->status, res->body};
}

HttpResult http_post(int port, const std::string& path, const std::string& bearer) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  httplib::Headers headers;
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  auto res = client.Post(path.c_str(), headers, "", "application/json");
  if (!res) return {};
  return {res->status, res->body};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::string cell_null() { return "null"; }
std::string cell_int(int64_t v) { return "i:" + std::to_string(v); }
std::string cell_real(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  char buf[32];
  std::snprintf(buf, sizeof buf, "r:%016llx", static_cast<unsigned long long>(bits));
  return buf;
}
std::string cell_text(const std::string& v) { return "t:" + v; }
std::string cell_blob(const std::string& bytes) {
  return "b:" + hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

int64_t sqlite_count(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  int64_t n = 0;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    std::string sql = "SELECT count(*) FROM \"";
    for (char c : table) sql += c == '"' ? std::string("\"\"") : std::string(1, c);
    sql += "\"";
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

std::vector<std::string> sqlite_rows(const std::string& db_path, const std::string& table,
                                     const std::vector<std::string>& columns) {
  std::vector<std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return rows;
  }
  auto quote = [](const std::string& name) {
    std::string q = "\"";
    for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + quote(columns[i]);
  sql += " FROM " + quote(table);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < static_cast<int>(columns.size()); ++c) {
        if (c) row += '|';
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_NULL: row += cell_null(); break;
          case SQLITE_INTEGER: row += cell_int(sqlite3_column_int64(st, c)); break;
          case SQLITE_FLOAT: row += cell_real(sqlite3_column_double(st, c)); break;
          case SQLITE_TEXT:
            row += cell_text(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c)),
                                         static_cast<size_t>(sqlite3_column_bytes(st, c))));
            break;
          default:
            row += cell_blob(std::string(static_cast<const char*>(sqlite3_column_blob(st, c)),
                                         static_cast<size_t>(sqlite3_column_bytes(st, c))));
        }
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace tsyncd::e2e

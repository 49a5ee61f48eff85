#include "support/pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

namespace tsyncd::testing {
namespace {

namespace fs = std::filesystem;

Error failure(std::string message) { return make_error(ErrorKind::internal, "test PostgreSQL: " + message); }

// The newest PostgreSQL server installation: Debian keeps one per major version under
// /usr/lib/postgresql/<major>/bin; elsewhere initdb is usually on the PATH.
std::string find_bin_dir() {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    if (fs::exists(entry.path() / "bin" / "initdb") && !version.empty() &&
        std::all_of(version.begin(), version.end(), [](unsigned char c) { return std::isdigit(c); }))
      found.emplace_back(std::stoi(version), (entry.path() / "bin").string());
  }
  if (!found.empty()) return std::max_element(found.begin(), found.end())->second;
  if (const char* path = std::getenv("PATH"))
    for (const std::string& dir : split_list(path, ':'))
      if (fs::exists(fs::path(dir) / "initdb")) return dir;
  return {};
}

// A port nobody listens on right now. Another process may take it before the server binds it;
// start() retries with a new port in that case.
Result<int> free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return failure(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc == 0) rc = ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int saved = errno;
  ::close(fd);
  if (rc != 0) return failure(std::string("bind 127.0.0.1:0: ") + std::strerror(saved));
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string random_hex(size_t n) {
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

// A libpq connection-string value: single-quoted with backslash escapes.
std::string conninfo_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

PgServer::~PgServer() { stop(); }

Result<int> PgServer::start() {
  if (!dir_.empty()) return failure("start() called twice");
  bin_dir_ = find_bin_dir();
  if (bin_dir_.empty())
    return failure("initdb not found under /usr/lib/postgresql/*/bin or on PATH (install postgresql)");

  // initdb refuses to run as root; the unprivileged user must also be able to reach the
  // directory, hence /tmp rather than a TMPDIR that may live under /root.
  std::error_code no_tmpdir;
  fs::path parent = fs::temp_directory_path(no_tmpdir);
  if (no_tmpdir) parent = "/tmp";
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) user = ::getpwnam("nobody");
    if (user == nullptr) return failure("running as root and neither user postgres nor nobody exists");
    run_uid_ = user->pw_uid;
    run_gid_ = user->pw_gid;
    parent = "/tmp";
  }
  std::string pattern = (parent / "tsyncd-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return failure("mkdtemp " + pattern + ": " + std::strerror(errno));
  dir_ = pattern;

  // A space and a quote make sure clients pass the password as a parameter, not by pasting it
  // into a connection string.
  password_ = "pw " + random_hex(16) + "'q";
  {
    std::ofstream pwfile(dir_ + "/pwfile");
    pwfile << password_ << "\n";
    if (!pwfile) return failure("cannot write " + dir_ + "/pwfile");
  }
  if (run_uid_ >= 0) {
    for (const std::string& path : {dir_, dir_ + "/pwfile"})
      if (::chown(path.c_str(), static_cast<uid_t>(run_uid_), static_cast<gid_t>(run_gid_)) != 0)
        return failure("chown " + path + ": " + std::strerror(errno));
  }

  const std::string data = dir_ + "/data";
  Status init =
      run_tool({bin_dir_ + "/initdb", "-D", data, "-U", "tsyncd", "--pwfile=" + dir_ + "/pwfile", "-E",
                "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"});
  if (!init) return init.error();

  // The port may be taken between choosing and binding it: try a few.
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    Result<int> port = free_loopback_port();
    if (!port) return port.error();
    port_ = *port;
    if (Status config = write_config(); !config) return config.error();
    Status started =
        run_tool({bin_dir_ + "/pg_ctl", "-D", data, "-l", dir_ + "/log", "-w", "-t", "60", "start"});
    if (started) {
      running_ = true;
    } else if (log_tail().find("could not bind") == std::string::npos) {
      return started.error();
    }
  }
  if (!running_) return failure("no free port after 3 attempts\n" + log_tail());

  if (Status db = create_database("tsyncd_test"); !db) return db.error();
  return port_;
}

Status PgServer::write_config() {
  // Appended settings override initdb's defaults (the last occurrence wins). Test data is
  // disposable, hence no fsync. synchronous_commit = off is also the setting tsyncd must defend
  // against (a crash would lose acknowledged commits): the e2e outage case crashes this server.
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << "\n# tsyncd test cluster\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << dir_ << "'\n"
       << "fsync = off\n"
       << "synchronous_commit = off\n"
       << "full_page_writes = off\n";
  if (!conf) return failure("cannot write " + dir_ + "/data/postgresql.conf");
  return ok_status();
}

Status PgServer::create_database(const std::string& name) {
  const char* keys[] = {"dbname", "password", nullptr};
  const std::string conninfo = dsn("postgres");
  const char* values[] = {conninfo.c_str(), password_.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    std::string quoted = "\"";
    for (char c : name) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
    PGresult* res = PQexec(conn, ("CREATE DATABASE " + quoted + "\"").c_str());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
    PQclear(res);
  }
  PQfinish(conn);
  if (!error.empty()) return failure("create database " + name + ": " + trim(error));
  return ok_status();
}

std::string PgServer::dsn(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=tsyncd dbname=" + conninfo_value(database);
}

// Runs a PostgreSQL tool with output appended to <dir>/log, as the unprivileged user when we are
// root. fork + exec rather than system(): no shell quoting, and the child only makes
// async-signal-safe calls, so this is safe in a threaded test program.
Status PgServer::run_tool(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string log = dir_ + "/log";

  pid_t pid = ::fork();
  if (pid < 0) return failure(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Drop privileges first, so that the log file belongs to the user whose server appends to it.
    if (run_uid_ >= 0 && (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(run_gid_)) != 0 ||
                          ::setuid(static_cast<uid_t>(run_uid_)) != 0))
      ::_exit(125);
    int null_fd = ::open("/dev/null", O_RDONLY);
    int log_fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (null_fd < 0 || log_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0)
      ::_exit(126);
    if (::chdir(dir_.c_str()) != 0) ::_exit(124);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failure(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok_status();
  const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                            : "signal " + std::to_string(WTERMSIG(status));
  return failure(join(argv, " ") + " failed (" + how + ")\n" + log_tail());
}

std::string PgServer::log_tail() const {
  std::ifstream in(dir_ + "/log");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr size_t kTail = 3000;
  return text.size() > kTail ? text.substr(text.size() - kTail) : text;
}

Status PgServer::crash() {
  if (!running_) return failure("crash(): the server is not running");
  Status stopped = run_tool({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
  if (stopped) running_ = false;
  return stopped;
}

Status PgServer::restart() {
  if (running_ || dir_.empty()) return failure("restart(): the server was not crashed");
  Status started =
      run_tool({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-t", "60", "start"});
  if (!started) return failure("restart failed\n" + log_tail());
  running_ = true;
  return ok_status();
}

void PgServer::stop() {
  // Also after a failed start: pg_ctl may have given up waiting while the server still came up.
  if (running_ || (!dir_.empty() && fs::exists(dir_ + "/data/postmaster.pid")))
    (void)run_tool({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
  running_ = false;
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace tsyncd::testing

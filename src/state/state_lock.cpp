// StateLock: see state.h.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "state.h"

namespace tsyncd {
namespace {

// The pid the owner wrote, or "" while it has not written it yet.
std::string read_owner(int fd) {
  char buffer[32] = {};
  const ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  std::string text = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Call right after the failing system call: errno is read before anything can change it.
Error lock_error(const std::string& lock_path, const char* what) {
  const std::string reason = std::strerror(errno);
  return make_error(ErrorKind::state, "state lock " + lock_path + ": " + what + ": " + reason);
}

}  // namespace

Result<StateLock> StateLock::acquire(const std::string& state_path) {
  const std::string lock_path = state_path + ".lock";
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return lock_error(lock_path, "cannot open");
  StateLock lock(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return lock_error(lock_path, "cannot lock");
    const std::string owner = read_owner(fd);
    return make_error(ErrorKind::state, "state file " + state_path + " is in use by another tsyncd process" +
                                            (owner.empty() ? std::string() : " (pid " + owner + ")"));
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return lock_error(lock_path, "cannot write the pid");
  return lock;
}

StateLock::StateLock(StateLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

StateLock& StateLock::operator=(StateLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

StateLock::~StateLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace tsyncd

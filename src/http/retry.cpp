#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

#include "http/http.h"

namespace tsyncd {
namespace {

// The backoff cap before attempt `failed_attempts + 1`: initial * 2^(failed_attempts - 1), at most max.
Duration backoff_cap(const RetryPolicy& policy, int failed_attempts) {
  Duration cap = std::max(policy.initial_backoff, Duration(0));
  for (int i = 1; i < failed_attempts && cap < policy.max_backoff; ++i) cap *= 2;
  return std::min(cap, policy.max_backoff);
}

// Sleeps for `wait` unless `stop` is requested first; returns false when it was.
bool sleep_unless_stopped(std::stop_token stop, Duration wait) {
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  return !wakeup.wait_for(lock, stop, wait, [] { return false; });
}

Error cancelled(const Error& last) {
  return make_error(ErrorKind::cancelled, "shutdown requested while retrying after: " + last.message);
}

}  // namespace

Status retry_loop(const RetryPolicy& policy, std::stop_token stop, const std::function<Status()>& attempt,
                  const std::function<void(const Error&, int attempt, Duration wait)>& on_retry) {
  // Full jitter: each wait is uniform in [0, cap], so clients that failed together spread out.
  std::mt19937_64 random(std::random_device{}());
  int max_attempts = std::max(policy.max_attempts, 1);
  for (int n = 1;; ++n) {
    if (stop.stop_requested()) return make_error(ErrorKind::cancelled, "shutdown requested");
    Status status = attempt();
    if (status.ok() || !status.error().retryable()) return status;
    const Error& error = status.error();
    if (stop.stop_requested()) return cancelled(error);
    if (n >= max_attempts) {
      Error last = error;
      last.message += " (gave up after " + std::to_string(n) + (n == 1 ? " attempt)" : " attempts)");
      return last;
    }
    std::uniform_int_distribution<Duration::rep> jitter(0, backoff_cap(policy, n).count());
    Duration wait = std::max(Duration(jitter(random)), error.retry_after);
    if (on_retry) on_retry(error, n, wait);
    if (!sleep_unless_stopped(stop, wait)) return cancelled(error);
  }
}

}  // namespace tsyncd

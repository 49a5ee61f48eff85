#include "config/files.h"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace tsyncd::config_detail {

namespace {

namespace fs = std::filesystem;

// A password or token is short; a larger file is almost certainly the wrong file.
constexpr size_t kMaxSecretBytes = 64 * 1024;

std::string errno_text(int error) { return std::generic_category().message(error); }

// Reads a whole file into `out`, or returns why it could not.
std::optional<std::string> read_file(const std::string& path, size_t max_bytes, std::string& out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return "is a directory";
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return errno_text(errno);
  char buffer[4096];
  std::optional<std::string> failure;
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof buffer, file);
    out.append(buffer, n);
    if (out.size() > max_bytes) {
      failure = "larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
    if (n < sizeof buffer) {
      if (std::ferror(file)) failure = errno_text(errno);
      break;
    }
  }
  std::fclose(file);
  return failure;
}

}  // namespace

std::string resolve_path(const std::string& path, const FilePlaces& places) {
  if (path.empty() || path.front() == '/' || places.base_dir.empty()) return path;
  return (fs::path(places.base_dir) / path).string();
}

std::optional<std::string> read_secret_file(const std::string& key_path, const std::string& name,
                                            const FilePlaces& places, Problems& problems) {
  if (name.empty()) {
    problems.add(key_path, "expected a file name or path, got \"\"");
    return std::nullopt;
  }
  std::string path = resolve_path(name, places);
  std::string tried_credentials;
  if (name.front() != '/' && !places.credentials_dir.empty()) {
    std::string credential = (fs::path(places.credentials_dir) / name).string();
    std::error_code ec;
    if (fs::exists(credential, ec)) {
      path = credential;
    } else {
      tried_credentials =
          " (also not found in $CREDENTIALS_DIRECTORY " + places.credentials_dir + ")";
    }
  }
  std::string secret;
  if (auto failure = read_file(path, kMaxSecretBytes, secret)) {
    problems.add(key_path, "cannot read " + path + ": " + *failure + tried_credentials);
    return std::nullopt;
  }
  if (!secret.empty() && secret.back() == '\n') {
    secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();  // written on Windows
  }
  if (secret.empty()) {
    problems.add(key_path, path + " is empty");
    return std::nullopt;
  }
  return secret;
}

bool check_readable_file(const std::string& key_path, const std::string& path, Problems& problems) {
  std::error_code ec;
  std::optional<std::string> failure;
  if (fs::is_directory(path, ec)) {
    failure = "is a directory";
  } else if (std::FILE* file = std::fopen(path.c_str(), "rb"); file == nullptr) {
    failure = errno_text(errno);
  } else {
    std::fclose(file);
  }
  if (failure) problems.add(key_path, "cannot read " + path + ": " + *failure);
  return !failure;
}

}  // namespace tsyncd::config_detail

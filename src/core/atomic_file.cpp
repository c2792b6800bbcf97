#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace pf {

namespace {

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "host";
  std::string h(buf);
  std::replace(h.begin(), h.end(), '-', '_');  // '-' separates the fields of a temp name
  return h;
}

std::string temp_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp-" + host_name() + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++);
}

std::string reason_of(int err) {
  return err == ENOSPC ? "no space left on device" : std::strerror(err);
}

// Removes the temp file and throws with the reason (errno of the failed call).
[[noreturn]] void fail(const std::string& tmp, const std::string& path, const char* what, int err) {
  ::unlink(tmp.c_str());
  throw IoError(std::string("cannot ") + what + " '" + path + "': " + reason_of(err));
}

}  // namespace

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  // The folder's own error: a full disk or a file in the way, not the open's "no such file".
  if (!parent.empty() && !fs::create_directories(parent, ec) && ec)
    throw IoError("cannot write '" + path +
                  "': cannot create its folder: " + reason_of(ec.value()));
  const std::string tmp = temp_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot write '" + path + "': " + reason_of(errno));
  const auto* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      fail(tmp, path, "write", err);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // Without the fsync a power cut after the rename can leave an empty file under the new name.
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail(tmp, path, "write", err);
  }
  if (::close(fd) != 0) fail(tmp, path, "write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(tmp, path, "rename into", errno);
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

void write_file_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, text.data(), text.size());
}

bool is_temp_name(const std::string& path) {
  return fs::path(path).filename().string().rfind(".tmp-") != std::string::npos;
}

bool is_stale_temp(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  const auto at = name.rfind(".tmp-");
  if (at == std::string::npos) return false;
  // Fields: host-pid-counter. Another host's temp file may belong to a live shard on a shared
  // folder: only an hour of silence makes it stale.
  const std::string fields = name.substr(at + 5);
  const auto d1 = fields.find('-'), d2 = fields.rfind('-');
  std::error_code ec;
  if (d1 != std::string::npos && d2 > d1 && fields.substr(0, d1) == host_name()) {
    const long pid = std::strtol(fields.substr(d1 + 1, d2 - d1 - 1).c_str(), nullptr, 10);
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
  }
  const auto age = fs::file_time_type::clock::now() - fs::last_write_time(path, ec);
  return !ec && age > std::chrono::hours(1);
}

std::string temp_path_for_tests(const std::string& path, long pid) {
  return path + ".tmp-" + host_name() + "-" + std::to_string(pid) + "-0";
}

}  // namespace pf

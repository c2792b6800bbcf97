#include "core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace pf {

namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void not_regular(const std::string& path, const char* what, mode_t mode) {
  throw InputError(std::string(what) + " '" + path + "' is " + kind_of(mode) +
                   ", not a regular file");
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

void require_regular_file(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw InputError(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) not_regular(path, what, st.st_mode);
}

std::string read_file_capped(const std::string& path, uint64_t max_bytes, const char* what) {
  Fd f;
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  f.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (f.fd < 0) {
    const int err = errno;
    throw InputError(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    const int err = errno;
    throw InputError(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) not_regular(path, what, st.st_mode);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  auto too_big = [&](uint64_t n) {
    return InputError(std::string(what) + " '" + path + "' is " + std::to_string(n) +
                      " bytes, more than the " + std::to_string(max_bytes) + " allowed");
  };
  if (size > max_bytes) throw too_big(size);
  std::string out;
  out.resize(static_cast<size_t>(size));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      // The file may have grown since fstat: read on, but never past the cap.
      if (out.size() >= max_bytes + 1) break;
      out.resize(std::min<uint64_t>(max_bytes + 1, out.size() + 65536));
    }
    const ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw InputError(std::string("cannot read ") + what + " '" + path +
                       "': " + std::strerror(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) throw too_big(got);
  out.resize(got);
  return out;
}

}  // namespace pf

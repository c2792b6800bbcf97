#include "train/train_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace pf::train {

std::vector<nlohmann::json> read_train_log(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      // a line cut by a kill; the next complete one follows it
    }
  }
  return out;
}

TrainLog::TrainLog(std::string path, int64_t keep_until) : path_(std::move(path)) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return;
  std::string kept;
  for (const auto& r : read_train_log(path_))
    if (r.value("iter", int64_t{0}) <= keep_until) kept += r.dump() + "\n";
  write_file_atomic(path_, std::string_view(kept));
}

void TrainLog::add(const std::map<std::string, double>& losses) {
  for (const auto& [k, v] : losses) sums_[k] += v;
  ++count_;
}

TrainLog::Window TrainLog::take() {
  Window w;
  w.iterations = count_;
  for (const auto& [k, v] : sums_) w.losses[k] = count_ ? v / static_cast<double>(count_) : 0;
  sums_.clear();
  count_ = 0;
  return w;
}

void TrainLog::write(const nlohmann::json& record) {
  // The whole line in one append; a write cut short (a full disk) is undone, so the log never
  // keeps a torn line. (A kill -9 in the middle of the write can still tear one: readers skip
  // it, and a resume rewrites the log without it.)
  const std::string line = record.dump() + "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot append to '" + path_ + "': " + std::strerror(errno));
  struct stat st {};
  const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      if (before >= 0 && ::ftruncate(fd, before) != 0) {
        // the torn line stays; readers skip it
      }
      ::close(fd);
      throw IoError("cannot append to '" + path_ + "': " +
                    (err == ENOSPC ? std::string("no space left on device") : std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw IoError("cannot append to '" + path_ + "': " + std::strerror(errno));
}

}  // namespace pf::train

#include "train/train_log.h"

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
  // One write of a whole line in append mode: readers see whole records or a torn last one.
  std::ofstream out(path_, std::ios::app);
  out << record.dump() << '\n';
  out.flush();
  if (!out) throw IoError("cannot append to '" + path_ + "'");
}

}  // namespace pf::train

#include "train/run_state.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "models/zip.h"

namespace fs = std::filesystem;

namespace pf::train {

namespace {
constexpr const char* kMarker = "pairforge_training_state";
const char* const kGroups[] = {"net_g/", "net_g_ema/", "optim_g/", "net_d/", "optim_d/"};
constexpr int kGroupCount = 5;

// The tensors of group g (const or not).
template <class State>
auto group(State& s, int g) {
  decltype(&s.net_g) groups[] = {&s.net_g, &s.net_g_ema, &s.optimizer, &s.net_d, &s.optimizer_d};
  return groups[g];
}
}  // namespace

std::string archive_name(const std::string& dir) {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", std::localtime(&now));
  // Two fresh starts within a second would otherwise both pick this name, and the second rename
  // fail on the first's folder.
  std::string name = dir + "_archived_" + buf;
  std::error_code ec;
  for (int n = 2; fs::exists(name, ec); ++n)
    name = dir + "_archived_" + buf + "_" + std::to_string(n);
  return name;
}

RunPaths::RunPaths(const std::string& dir)
    : root(dir),
      models((fs::path(dir) / "models").string()),
      states((fs::path(dir) / "training_states").string()),
      visualization((fs::path(dir) / "visualization").string()),
      log((fs::path(dir) / "train_log.jsonl").string()),
      resolved_config((fs::path(dir) / "config_resolved.yml").string()) {}

std::string RunPaths::model_file(const std::string& label, int64_t iter,
                                 const std::string& format) const {
  return (fs::path(models) / (label + "_" + std::to_string(iter) + "." + format)).string();
}

std::string RunPaths::state_file(int64_t iter) const {
  return (fs::path(states) / (std::to_string(iter) + ".state")).string();
}

void save_state(const std::string& path, const TrainingState& s) {
  models::NamedTensors tensors;
  for (int g = 0; g < kGroupCount; ++g)
    for (const auto& [name, t] : *group(s, g))
      tensors.emplace_back(kGroups[g] + name, models::from_torch(t.contiguous()));
  models::Metadata meta = s.counters;
  meta[kMarker] = "1";
  meta["iteration"] = std::to_string(s.iteration);
  write_file_atomic(path, models::write_safetensors(tensors, meta));
}

TrainingState load_state(const std::string& path) {
  return parse_state(models::read_file_bytes(path), path);
}

TrainingState parse_state(const std::vector<uint8_t>& bytes, const std::string& path) {
  const auto ck = models::read_safetensors(bytes, path);
  if (!ck.metadata.count(kMarker) || !ck.metadata.count("iteration"))
    throw ModelError(path + ": not a pairforge training state");
  TrainingState s;
  s.counters = ck.metadata;
  try {
    s.iteration = std::stoll(ck.metadata.at("iteration"));
  } catch (const std::exception&) {
    throw ModelError(path + ": bad iteration in the training state");
  }
  for (const auto& [name, raw] : ck.tensors) {
    const torch::Tensor t = models::to_torch(raw);
    bool grouped = false;
    for (int g = 0; g < kGroupCount; ++g)
      if (name.rfind(kGroups[g], 0) == 0) {
        group(s, g)->emplace_back(name.substr(std::string(kGroups[g]).size()), t);
        grouped = true;
      }
    if (!grouped) throw ModelError(path + ": unexpected tensor '" + name + "' in a training state");
  }
  if (s.net_g.empty()) throw ModelError(path + ": the training state holds no generator");
  return s;
}

std::optional<std::string> newest_state(const std::string& dir, std::vector<std::string>* skipped) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  std::vector<std::pair<int64_t, std::string>> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".state") continue;
    const std::string stem = e.path().stem().string();
    if (stem.empty() || stem.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stoll(stem), e.path().string());
  }
  std::sort(found.rbegin(), found.rend());
  for (const auto& [iter, path] : found) {
    try {
      load_state(path);
      return path;
    } catch (const Error& e) {
      if (skipped) skipped->push_back(e.what());
    }
  }
  return std::nullopt;
}

void remove_stale_temps(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && is_stale_temp(it->path().string())) fs::remove(it->path(), ec);
}

}  // namespace pf::train

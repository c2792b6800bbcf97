#include "pages/train_log.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "core/input_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf::pages {
namespace {

std::optional<double> number(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string text(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Numbers of a {"name": number} object; other values are left out.
std::map<std::string, double> numbers(const json& obj, const char* key) {
  std::map<std::string, double> out;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return out;
  for (const auto& [name, value] : it->items())
    if (value.is_number()) out[name] = value.get<double>();
  return out;
}

// The numbers of a "train" line, by key.
const std::pair<const char*, std::optional<double> TrainPoint::*> kTrainNumbers[] = {
    {"time", &TrainPoint::time},
    {"elapsed_s", &TrainPoint::elapsed_s},
    {"lr", &TrainPoint::lr},
    {"it_per_s", &TrainPoint::it_per_s},
    {"data_wait_share", &TrainPoint::data_wait_share},
    {"eta_s", &TrainPoint::eta_s}};

ValImage val_image(const json& j) {
  ValImage im;
  im.name = text(j, "name");
  im.output = text(j, "output");
  im.lq = text(j, "lq");
  im.gt = text(j, "gt");
  im.psnr = number(j, "psnr");
  im.ssim = number(j, "ssim");
  return im;
}

}  // namespace

TrainLog parse_train_log(std::string_view content, const std::string& file) {
  TrainLog log;
  size_t pos = 0;
  for (int line_no = 1; pos < content.size(); ++line_no) {
    size_t end = content.find('\n', pos);
    const bool complete = end != std::string_view::npos;
    if (!complete) end = content.size();
    const std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const auto where = fmt::format("{}:{}", file, line_no);
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (complete) log.warnings.push_back(where + ": not a JSON object, left out");
      continue;
    }
    const auto iter = number(j, "iter");
    const std::string event = text(j, "event");
    if (event != "train" && event != "val") continue;  // events of later trainers
    if (!iter) {
      log.warnings.push_back(where + ": a \"" + event + "\" line without \"iter\", left out");
      continue;
    }
    if (event == "train") {
      TrainPoint p;
      p.iter = static_cast<int64_t>(*iter);
      for (const auto& [key, member] : kTrainNumbers) p.*member = number(j, key);
      p.losses = numbers(j, "losses");
      log.train.push_back(std::move(p));
    } else {
      ValPoint p;
      p.iter = static_cast<int64_t>(*iter);
      p.time = number(j, "time");
      p.metrics = numbers(j, "metrics");
      if (const auto it = j.find("images"); it != j.end() && it->is_array())
        for (const auto& im : *it)
          if (im.is_object()) p.images.push_back(val_image(im));
      log.val.push_back(std::move(p));
    }
  }
  return log;
}

TrainLog read_train_log(const fs::path& file) {
  // A log is text a run appends to: a FIFO or device in its place would never end.
  const std::string content = read_file_capped(file.string(), kMaxManifestBytes, "training log");
  return parse_train_log(content, file.string());
}

fs::path resolve_logged_path(const std::string& logged, const fs::path& run_dir) {
  const fs::path p(logged);
  std::error_code ec;
  if (p.is_absolute() || fs::exists(p, ec)) return p;
  fs::path run = fs::absolute(run_dir, ec).lexically_normal();
  if (run.filename().empty()) run = run.parent_path();  // "experiments/x/" names x too
  return run.parent_path().parent_path() / p;
}

}  // namespace pf::pages

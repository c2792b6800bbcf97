// RUN_DIR/train_log.jsonl as the trainer writes it: one JSON object per line, "event" "train"
// (losses, lr, speed) or "val" (metrics and the validation images). Unknown keys and events are
// ignored; a last line the trainer is still writing is skipped.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pf::pages {

struct TrainPoint {
  int64_t iter = 0;
  std::optional<double> time, elapsed_s, lr, it_per_s, data_wait_share, eta_s;
  std::map<std::string, double> losses;
};

struct ValImage {
  std::string name;
  std::string output;  // relative to RUN_DIR
  std::string lq, gt;  // as logged: absolute, or relative to where the run started
  std::optional<double> psnr, ssim;
};

struct ValPoint {
  int64_t iter = 0;
  std::optional<double> time;
  std::map<std::string, double> metrics;
  std::vector<ValImage> images;
};

struct TrainLog {
  std::vector<TrainPoint> train;
  std::vector<ValPoint> val;
  std::vector<std::string> warnings;  // "file:line: why" for each complete line left out
};

// `text` is the file's content, `file` its name for the warnings. A last line without its
// newline that does not parse is taken as still being written and skipped silently.
TrainLog parse_train_log(std::string_view text, const std::string& file);
// Throws InputError naming the file when it cannot be read.
TrainLog read_train_log(const std::filesystem::path& file);

// Where a logged lq/gt path is: as given (absolute, or relative to the working directory) when
// that exists, else relative to the folder holding experiments/ (RUN_DIR's parent's parent),
// where the run most likely started.
std::filesystem::path resolve_logged_path(const std::string& logged,
                                          const std::filesystem::path& run_dir);

}  // namespace pf::pages

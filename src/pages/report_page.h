// The page of a training run: loss, lr, it/s and validation curves from RUN_DIR/train_log.jsonl
// (uPlot, embedded), and the validation images of every iteration in the comparison viewer.
// OUT/index.html is static; OUT/data.js holds the run and is what update() rewrites. The page
// re-reads data.js every few seconds (a <script> reload, which file:// allows where fetch() is
// blocked), so it follows a run that `pairforge report --watch` keeps updating.
#pragma once
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace pf::pages {

class ReportPage {
 public:
  // `out_dir` empty: RUN_DIR/report. Throws InputError when RUN_DIR/train_log.jsonl is missing
  // and Error when this binary was built without the chart library.
  ReportPage(std::filesystem::path run_dir, std::filesystem::path out_dir = {});

  struct Summary {
    size_t train_points = 0, val_points = 0, images = 0;
    int64_t last_iter = -1;
  };
  // Reads the log, puts new validation images into the page folder, rewrites data.js (and
  // index.html when it differs). Warnings (unparsable lines, missing images) are logged once.
  Summary update();

  // True when train_log.jsonl changed (size or time) since the last update().
  bool log_changed() const;

  const std::filesystem::path& out_dir() const { return out_dir_; }
  std::filesystem::path index_path() const { return out_dir_ / "index.html"; }

 private:
  struct Size {
    int w = 0, h = 0;
  };
  Size image_size(const std::filesystem::path& file);
  // The file's path in the page (relative to out_dir_), placed there; empty when it is missing.
  std::string place(const std::filesystem::path& file, const std::string& relative_stem);
  void warn_once(const std::string& message);

  std::filesystem::path run_dir_, out_dir_, log_path_;
  std::pair<uintmax_t, std::filesystem::file_time_type> log_stamp_{};
  std::map<std::string, std::pair<std::filesystem::file_time_type, Size>> sizes_;
  std::set<std::string> warned_;
};

}  // namespace pf::pages

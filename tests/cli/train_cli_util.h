// The `pairforge train` CLI tests' shared pieces: traiNNer-redux's example data layout with tiny
// textured images, and its Compact fidelity template with only the dataset paths changed.
#pragma once
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <string>

#include "temp_dir.h"
#include "test_util.h"

namespace pf::test {

// traiNNer-redux's example layout: hr/, lr/ (and hr2/, lr2/), val_hr/, val_lr/, x`scale`.
inline void make_train_dataset(const TempDir& dir, int scale) {
  namespace fs = std::filesystem;
  int i = 0;
  for (const char* pair : {"hr:lr", "hr:lr", "hr:lr", "hr2:lr2", "val_hr:val_lr"}) {
    const std::string p(pair), hr = p.substr(0, p.find(':')), lr = p.substr(p.find(':') + 1);
    fs::create_directories(dir / ("data/" + hr));
    fs::create_directories(dir / ("data/" + lr));
    const cv::Mat hq = textured_image(32 * scale, 24 * scale, static_cast<uint64_t>(i));
    cv::Mat lq;
    cv::resize(hq, lq, cv::Size(32, 24), 0, 0, cv::INTER_AREA);
    const std::string name = "f" + std::to_string(i++) + ".png";
    write_png(dir / ("data/" + hr + "/" + name), hq);
    write_png(dir / ("data/" + lr + "/" + name), lq);
  }
}

// tests/data/train/<name> with DATA_ROOT replaced (the only edit), written into `dir` under
// traiNNer-redux's file name `as` (the run folder keeps a copy under that name).
inline std::string template_with_paths(const TempDir& dir,
                                       const std::string& name = "trainner_compact_fidelity.yml",
                                       const std::string& as = "Compact_fidelity.yml") {
  std::string t = read_file(std::string(PAIRFORGE_SOURCE_DIR) + "/tests/data/train/" + name);
  for (size_t at; (at = t.find("DATA_ROOT")) != std::string::npos;) t.replace(at, 9, dir / "data");
  std::ofstream(dir / as) << t;
  return dir / as;
}

// Small and fast: 16 x 16 LQ crops, batch 4, a narrow Compact, one thread each.
inline const std::string kSmallTraining =
    " --set datasets.train.lq_size=16 --set datasets.train.batch_size_per_gpu=4"
    " --set network_g.num_conv=4 --set network_g.num_feat=16 --set manual_seed=3"
    " --set logger.print_freq=5 --threads 1 --loader-threads 1 --no-progress";

}  // namespace pf::test

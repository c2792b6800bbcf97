// A slow.pics-style comparison page: one image at a time, every version of it (LQ, model outputs,
// HQ) on number keys, a before/after slider, synced nearest-neighbour zoom, and PSNR/SSIM
// against HQ. Written as DIR/index.html + DIR/img/, which opens from file:// with no network.
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "io/quality.h"

namespace pf::pages {

enum class VersionKind { kLq, kOutput, kHq };

struct Version {
  std::string label;
  VersionKind kind = VersionKind::kOutput;
};

// One version of one image: an image file (put into the page as it is when browsers show its
// format) and/or its pixels (CV_32FC3 RGB in [0,1]; written as PNG when there is no file).
// `quality` against HQ when the caller has measured it already (validate), so the page shows
// exactly the caller's numbers.
struct Picture {
  std::string file;
  cv::Mat rgb;
  std::optional<io::Quality> quality;
};

class ComparePage {
 public:
  // At most one version may be kHq; PSNR/SSIM are measured against it (`crop` border pixels
  // left out, as `validate --crop`).
  ComparePage(std::string dir, std::string title, std::vector<Version> versions, int crop = 0);

  // One image: pictures[i] is versions[i]'s, nullopt where that version lacks the image. Every
  // picture must be the output size (HQ's, else the largest) or an integer fraction of it (LQ):
  // smaller ones are shown nearest-upscaled, and measured that way. Throws InputError naming the
  // file otherwise.
  void add(const std::string& name, std::vector<std::optional<Picture>> pictures);

  // Writes index.html and returns its path.
  std::string finish();

  // Mean quality of each version over the images that have it (nullopt: nothing measured).
  std::vector<std::optional<io::Quality>> means() const;

 private:
  std::string dir_, title_;
  std::vector<Version> versions_;
  int crop_;
  nlohmann::json images_ = nlohmann::json::array();
  std::vector<io::Quality> sums_;
  std::vector<int> counts_;
};

}  // namespace pf::pages

// The manifest reader behind `pairforge degrade --replay MANIFEST --pair NAME`: the first line
// of the input is the pair's name, the rest the manifest.jsonl. The record found is replayed on
// a small image of its crop's size, as --replay does on the recorded source (whose crop, in a
// real run, must lie inside the image: larger ones are not replayed here).
#include "degrade/manifest.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "degrade/pair_maker.h"
#include "fuzz_target.h"
#include "io/image.h"
#include "test_util.h"

PF_FUZZ_TARGET(manifest) {
  using namespace pf::degrade;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t eol = std::min(text.find('\n'), text.size());
  std::istringstream in(text.substr(std::min(eol + 1, text.size())));
  PairRecord r;
  try {
    r = find_in_manifest(in, "fuzz/manifest.jsonl", text.substr(0, eol));
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
    return 0;
  }
  if (r.crop.width < 1 || r.crop.height < 1 || r.crop.width > 64 || r.crop.height > 64) return 0;
  static const cv::Mat image = pf::test::textured_image(64, 64, 11);
  static const cv::Mat alpha_plane = [] {
    cv::Mat a(64, 64, CV_32FC1);
    cv::randu(a, 0, 1);
    return a;
  }();
  const cv::Rect crop(0, 0, r.crop.width, r.crop.height);
  const cv::Mat alpha = size % 2 ? alpha_plane(crop) : cv::Mat();
  std::vector<cv::Mat> next;
  for (int i = 0; i < std::min(r.next_frames, 2); ++i)
    next.push_back(pf::test::textured_image(64, 64, 12 + i)(crop));
  try {
    const PairOutput out =
        replay_pair(r.steps, r.scale, r.alpha, r.background, image(crop), alpha, next);
    PF_FUZZ_ASSERT(out.lq.cols * r.scale == out.hq.cols && out.lq.rows * r.scale == out.hq.rows);
    (void)pf::io::encode_png(out.lq, out.lq_alpha, r.depth);
    pf::fuzz::accepted();
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

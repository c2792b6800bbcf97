// A degradation config as `pairforge degrade -c FILE` takes it: YAML to a pipeline (every key,
// range and distribution checked), then one pair made from a small image with it, as the job
// makes them (HQ cropped to a multiple of the scale, alpha when the image has one, following
// frames for inter-frame codecs) and written as PNG at the config's depth.
#include <algorithm>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/yaml_util.h"
#include "degrade/config.h"
#include "degrade/job.h"
#include "degrade/pair_maker.h"
#include "fuzz_target.h"
#include "io/image.h"
#include "test_util.h"

PF_FUZZ_TARGET(degrade_config) {
  using namespace pf::degrade;
  const std::string text(reinterpret_cast<const char*>(data), size);
  DegradeConfig config;
  try {
    config = DegradeConfig::parse(pf::load_yaml_string(text, "fuzz.yml"));
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
    return 0;
  }
  static const cv::Mat image = pf::test::textured_image(48, 40, 7);
  static const cv::Mat alpha_plane = [] {
    cv::Mat a(40, 48, CV_32FC1);
    cv::randu(a, 0, 1);
    return a;
  }();
  const cv::Rect crop = crop_to_multiple(image.size(), config.scale);
  // Half the inputs come with alpha, so both `alpha:` modes and the no-alpha path run.
  const cv::Mat alpha = size % 2 ? alpha_plane(crop) : cv::Mat();
  std::vector<cv::Mat> next;
  for (int i = 0; i < std::min(2, context_frames_needed(config)); ++i)
    next.push_back(pf::test::textured_image(48, 40, 8 + i)(crop));
  try {
    const PairOutput out = make_pair(config, image(crop), alpha, config.seed, next);
    PF_FUZZ_ASSERT(out.hq.size() == crop.size());
    PF_FUZZ_ASSERT(out.lq.cols * config.scale == out.hq.cols);
    PF_FUZZ_ASSERT(out.lq.rows * config.scale == out.hq.rows);
    PF_FUZZ_ASSERT(out.lq.type() == CV_32FC3);
    (void)pf::io::encode_png(out.lq, out.lq_alpha, config.depth);
    (void)pf::io::encode_png(out.hq, out.hq_alpha, config.depth);
    pf::fuzz::accepted();
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

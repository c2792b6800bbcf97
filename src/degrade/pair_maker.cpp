#include "degrade/pair_maker.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace pf::degrade {

namespace {

cv::Mat composite(const cv::Mat& rgb, const cv::Mat& alpha, const std::array<double, 3>& bg) {
  cv::Mat a3, out;
  cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, a3);
  const cv::Mat background(rgb.size(), CV_32FC3, cv::Scalar(bg[0], bg[1], bg[2]));
  out = rgb.mul(a3) + background.mul(cv::Scalar::all(1) - a3);
  return out;
}

struct Prepared {
  Pair pair;
  cv::Mat hq_alpha;
};

Prepared prepare(int scale, const std::string& alpha_mode, const std::array<double, 3>& bg,
                 const cv::Mat& hq, const cv::Mat& alpha, const std::vector<cv::Mat>& next,
                 bool adopt_hq = false) {
  if (hq.cols % scale || hq.rows % scale)
    throw Error("internal: HQ size is not a multiple of the scale");
  Prepared p;
  p.pair.scale = scale;
  if (!alpha.empty() && alpha_mode == "composite") {
    p.pair.hq = composite(hq, alpha, bg);
  } else {
    // A view into a larger image is always copied: filters would read the pixels around it.
    p.pair.hq = adopt_hq && !hq.isSubmatrix() ? hq : hq.clone();
    p.hq_alpha = alpha;
  }
  p.pair.lq = p.pair.hq;  // shared until an operator writes one of them (pipeline.h apply_op)
  // Deep copies: an operator may draw on the following frames (text), and the caller reuses them
  // for the pair's other variants.
  for (const cv::Mat& f : next) p.pair.next_frames.push_back(f.clone());
  return p;
}

PairOutput finish(Prepared& p, std::vector<StepRecord> steps) {
  if (p.pair.lq.size() != p.pair.target_lq_size())
    throw Error("internal: LQ is " + std::to_string(p.pair.lq.cols) + "x" +
                std::to_string(p.pair.lq.rows) + " after the final resize");
  PairOutput out;
  out.hq = std::move(p.pair.hq);
  out.hq8 = std::move(p.pair.hq8);
  out.lq = std::move(p.pair.lq);
  out.hq_alpha = p.hq_alpha;
  if (!p.hq_alpha.empty())  // alpha is carried, not degraded: an area-downscaled copy
    cv::resize(p.hq_alpha, out.lq_alpha, out.lq.size(), 0, 0, cv::INTER_AREA);
  out.steps = std::move(steps);
  return out;
}

}  // namespace

cv::Rect crop_to_multiple(cv::Size size, int scale) {
  return {0, 0, size.width - size.width % scale, size.height - size.height % scale};
}

namespace {

PairOutput degrade(const DegradeConfig& config, Prepared& p, uint64_t seed, const StepHook& hook) {
  Rng rng(seed);
  std::vector<StepRecord> steps;
  config.pipeline.run(p.pair, rng, steps, hook);
  if (p.pair.lq.size() != p.pair.target_lq_size()) {
    if (!config.final_resize.info)
      throw ConfigError(config.file +
                        ": the chain leaves LQ at the wrong size and no resize "
                        "operator is available for the final step");
    StepRecord r{"resize", sample_values(config.final_resize, rng), rng.next_u64()};
    for (auto& [name, value] : r.values)
      if (name == "to_target") value = true;
    apply_record(r, p.pair);
    if (hook) hook(r, p.pair);
    steps.push_back(std::move(r));
  }
  return finish(p, std::move(steps));
}

}  // namespace

PairOutput make_pair(const DegradeConfig& config, const cv::Mat& hq, const cv::Mat& alpha,
                     uint64_t seed, const std::vector<cv::Mat>& next_frames, const StepHook& hook) {
  Prepared p = prepare(config.scale, config.alpha, config.background, hq, alpha, next_frames);
  return degrade(config, p, seed, hook);
}

PairOutput make_pair_in_place(const DegradeConfig& config, cv::Mat&& hq, const cv::Mat& alpha,
                              uint64_t seed) {
  Prepared p = prepare(config.scale, config.alpha, config.background, hq, alpha, {}, true);
  hq.release();
  return degrade(config, p, seed, nullptr);
}

PairOutput replay_pair(const std::vector<StepRecord>& steps, int scale,
                       const std::string& alpha_mode, const std::array<double, 3>& background,
                       const cv::Mat& hq, const cv::Mat& alpha,
                       const std::vector<cv::Mat>& next_frames) {
  Prepared p = prepare(scale, alpha_mode, background, hq, alpha, next_frames);
  for (const auto& r : steps) apply_record(r, p.pair);
  // A run's records always end at HQ / scale (the final resize is recorded); records that do not
  // were edited or come from elsewhere: the input's fault, not an internal one.
  if (p.pair.lq.size() != p.pair.target_lq_size())
    throw InputError("the recorded steps leave LQ at " + std::to_string(p.pair.lq.cols) + "x" +
                     std::to_string(p.pair.lq.rows) +
                     ", not HQ / scale = " + std::to_string(p.pair.target_lq_size().width) + "x" +
                     std::to_string(p.pair.target_lq_size().height) +
                     " (an edited manifest, or one from another version?)");
  return finish(p, steps);
}

}  // namespace pf::degrade

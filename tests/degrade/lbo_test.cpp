// The learned operator `lbo`: it is the LBO network's forward pass (composition test), halves
// the size (rounding up), draws its weights from a pool per seed, stands in for the plain x2
// downscale right after it, and replays exactly; bad files are errors naming them.
#include "models/lbo.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <set>

#include "core/error.h"
#include "degrade/config.h"
#include "degrade/learned/learned_ops.h"
#include "degrade/learned_op.h"
#include "degrade/pair_maker.h"
#include "degrade/registry.h"
#include "models/compact.h"
#include "models/model.h"
#include "test_util.h"

namespace pf::degrade {
namespace {

// What pairforge-torch does at start-up: the operator's LibTorch half.
const bool kNetworkInstalled = (install_learned_ops(), true);

// A small random LBO written as `path` (num_feat 8 keeps the tests fast).
void write_lbo(const std::string& path, uint64_t seed) {
  torch::manual_seed(seed);
  models::LBOOptions o;
  o.num_feat = 8;
  models::LBO lbo(o);
  models::ModelSpec spec;
  spec.arch = "LBO";
  spec.params = {{"num_feat", "8"}, {"downscale", "2"}};
  models::save_model(path, *lbo, spec);
}

cv::Mat forward(const std::string& path, const cv::Mat& rgb) {
  models::LoadedModel m = models::load_model(path);
  torch::NoGradGuard no_grad;
  cv::Mat c = rgb.clone();
  const auto x = torch::from_blob(c.data, {1, c.rows, c.cols, 3}, torch::kFloat32)
                     .permute({0, 3, 1, 2})
                     .contiguous();
  const auto y = m.forward(x).squeeze(0).permute({1, 2, 0}).contiguous();
  cv::Mat out(static_cast<int>(y.size(0)), static_cast<int>(y.size(1)), CV_32FC3);
  std::memcpy(out.data, y.data_ptr<float>(), static_cast<size_t>(y.numel()) * sizeof(float));
  return out;
}

Values values(const std::string& weights) {
  return {{"weights", weights}, {"device", std::string("cpu")}};
}

DegradeConfig config_in(const test::TempDir& dir, const std::string& yaml) {
  const std::string path = dir / "config.yml";
  std::ofstream(path) << yaml;
  return DegradeConfig::load(path);
}

std::string weights_of(const StepRecord& r) {
  for (const auto& [k, v] : r.values)
    if (k == "weights") return std::get<std::string>(v);
  return "";
}

TEST(Lbo, IsRegisteredAndStandsInForResize) {
  const OpInfo* op = find_op("lbo");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->replaces, "resize");
  ASSERT_EQ(op->params.size(), 2u);
  EXPECT_TRUE(op->params[0].file);
}

TEST(Lbo, IsTheNetworksForwardPass) {
  test::TempDir dir;
  write_lbo(dir / "a.safetensors", 1);
  const cv::Mat img = test::textured_image(40, 24, 2);
  Pair pair{img.clone(), img.clone(), 2, {}};
  Rng rng(3);
  find_op("lbo")->make()->apply(values(dir / "a.safetensors"), pair, rng);
  ASSERT_EQ(pair.lq.size(), cv::Size(20, 12));
  EXPECT_LT(cv::norm(pair.lq, forward(dir / "a.safetensors", img), cv::NORM_INF), 1e-6);
  // It changes LQ only, as it promises (OpInfo::keeps_hq: HQ's 8-bit copy survives it).
  EXPECT_TRUE(find_op("lbo")->keeps_hq);
  EXPECT_EQ(cv::norm(pair.hq, img, cv::NORM_INF), 0.0);
}

TEST(Lbo, OddSidesAreRoundedUpByRepeatingTheEdge) {
  test::TempDir dir;
  write_lbo(dir / "a.pth", 2);
  const cv::Mat img = test::textured_image(33, 25, 4);
  Pair pair{img.clone(), img.clone(), 2, {}};
  Rng rng(1);
  find_op("lbo")->make()->apply(values(dir / "a.pth"), pair, rng);
  ASSERT_EQ(pair.lq.size(), cv::Size(17, 13));
  cv::Mat padded;
  cv::copyMakeBorder(img, padded, 0, 1, 0, 1, cv::BORDER_REPLICATE);
  EXPECT_LT(cv::norm(pair.lq, forward(dir / "a.pth", padded), cv::NORM_INF), 1e-6);
}

TEST(Lbo, SameSeedSameBytesWhateverTheTorchThreads) {
  test::TempDir dir;
  for (int i = 0; i < 3; ++i) write_lbo(dir / ("w" + std::to_string(i) + ".safetensors"), 10 + i);
  const DegradeConfig c = config_in(dir, R"(scale: 2
pipeline:
  - lbo: {weights: [w0.safetensors, w1.safetensors, w2.safetensors], device: cpu, p: 0.5}
  - resize: {scale: 0.5, algorithm: {choice: [cv_area, cv_linear, cv_cubic]}}
)");
  const cv::Mat hq = test::textured_image(64, 48, 9);
  const int threads = at::get_num_threads();
  std::set<std::string> drawn;
  int fired = 0;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    at::set_num_threads(1);
    const PairOutput a = make_pair(c, hq, cv::Mat(), seed);
    at::set_num_threads(2);
    const PairOutput b = make_pair(c, hq, cv::Mat(), seed);
    ASSERT_EQ(a.lq.size(), cv::Size(32, 24));
    EXPECT_EQ(cv::norm(a.lq, b.lq, cv::NORM_INF), 0.0) << "seed " << seed;
    ASSERT_EQ(a.steps.size(), b.steps.size());
    // Either the learned operator or the plain downscale, never both.
    ASSERT_EQ(a.steps.size(), 1u) << "seed " << seed;
    if (a.steps[0].op == "lbo") {
      ++fired;
      drawn.insert(weights_of(a.steps[0]));
      EXPECT_EQ(weights_of(a.steps[0]), weights_of(b.steps[0]));
    } else {
      EXPECT_EQ(a.steps[0].op, "resize");
    }
  }
  at::set_num_threads(threads);
  EXPECT_GT(fired, 4);
  EXPECT_LT(fired, 20);
  EXPECT_EQ(drawn.size(), 3u) << "every operator of the pool is drawn";
  for (const auto& w : drawn) EXPECT_TRUE(std::filesystem::path(w).is_absolute()) << w;
}

TEST(Lbo, ReplaysExactlyFromItsRecord) {
  test::TempDir dir;
  write_lbo(dir / "w.safetensors", 5);
  const DegradeConfig c = config_in(dir, R"(scale: 4
pipeline:
  - noise: {sigma: 3}
  - lbo: {weights: w.safetensors, device: cpu}
  - resize: {scale: 0.5}
  - lbo: {weights: w.safetensors, device: cpu, p: 0}
  - resize: {scale: 0.5, algorithm: cv_area}
)");
  const cv::Mat hq = test::textured_image(64, 48, 2);
  const PairOutput a = make_pair(c, hq, cv::Mat(), 7);
  ASSERT_EQ(a.steps.size(), 3u);  // noise, lbo (its resize skipped), resize (lbo did not fire)
  EXPECT_EQ(a.steps[1].op, "lbo");
  EXPECT_EQ(a.steps[2].op, "resize");
  const PairOutput b = replay_pair(a.steps, c.scale, c.alpha, c.background, hq, cv::Mat());
  EXPECT_EQ(cv::norm(a.lq, b.lq, cv::NORM_INF), 0.0);
}

TEST(Lbo, StandsInOnlyForAResizeRightAfterIt) {
  test::TempDir dir;
  write_lbo(dir / "w.safetensors", 5);
  const DegradeConfig c = config_in(dir, R"(scale: 2
pipeline:
  - lbo: {weights: w.safetensors, device: cpu}
  - noise: {sigma: 1}
  - resize: {scale: 1}
)");
  const PairOutput a = make_pair(c, test::textured_image(32, 32, 1), cv::Mat(), 1);
  ASSERT_EQ(a.steps.size(), 3u);
  EXPECT_EQ(a.steps[2].op, "resize");
}

TEST(Lbo, ConfigErrorsNameTheFileAndPlace) {
  test::TempDir dir;
  write_lbo(dir / "w.safetensors", 5);
  try {
    config_in(dir, "scale: 2\npipeline:\n  - lbo: {weights: [w.safetensors, nope.pth]}\n");
    FAIL() << "a missing file was accepted";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("config.yml:3:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nope.pth"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
  }
  try {
    config_in(dir, "scale: 2\npipeline:\n  - lbo: {p: 0.5}\n");
    FAIL() << "an lbo step without weights was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("needs `weights:`"), std::string::npos) << e.what();
  }
}

TEST(Lbo, AnotherArchitectureIsAModelErrorNamingTheFile) {
  test::TempDir dir;
  models::CompactOptions o;
  o.num_feat = 4;
  o.num_conv = 1;
  o.upscale = 2;
  models::Compact compact(o);
  models::ModelSpec spec;
  spec.arch = "Compact";
  spec.scale = 2;
  spec.params = {{"num_feat", "4"}, {"num_conv", "1"}, {"act_type", "prelu"}};
  models::save_model(dir / "compact.safetensors", *compact, spec);
  const cv::Mat img = test::textured_image(16, 16, 1);
  Pair pair{img.clone(), img.clone(), 2, {}};
  Rng rng(1);
  try {
    find_op("lbo")->make()->apply(values(dir / "compact.safetensors"), pair, rng);
    FAIL() << "a Compact was run as an LBO";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("compact.safetensors"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pf::degrade

namespace pf::degrade {

TEST(Lbo, WithoutLibTorchAConfigSaysSoAndRunsNothing) {
  test::TempDir dir;
  write_lbo(dir / "a.safetensors", 1);
  const auto config = config_in(dir, "scale: 2\npipeline:\n  - lbo: {weights: a.safetensors}\n");
  ASSERT_TRUE(kNetworkInstalled);
  EXPECT_EQ(learned_op_missing(config.pipeline), "");
  provide_lbo_network(nullptr);  // as in pairforge, which then hands the job to pairforge-torch
  EXPECT_EQ(learned_op_missing(config.pipeline), "lbo");
  const cv::Mat img = test::textured_image(8, 8, 1);
  Pair pair{img.clone(), img.clone(), 2, {}};
  Rng rng(1);
  try {
    find_op("lbo")->make()->apply(values(dir / "a.safetensors"), pair, rng);
    ADD_FAILURE() << "ran without a network";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("without LibTorch"), std::string::npos) << e.what();
  }
  install_learned_ops();
}

}  // namespace pf::degrade

// The data sources on real image folders: pairing by name, size checks naming the pair,
// unreadable files skipped, samples that depend on their key alone (so on no thread count),
// the OTF adapter and the translation of traiNNer-redux's high_order_degradation keys.
#include "train/data/sources.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "degrade/config.h"
#include "io/quality.h"
#include "test_util.h"
#include "train/data/datasets.h"
#include "train/data/realesrgan_otf.h"
#include "train/loader.h"
#include "train/metrics.h"

using namespace pf::train;
namespace fs = std::filesystem;

namespace {

// dir/hq/imgN.png (w x h) and dir/lq/imgN.png (w/2 x h/2, area-downscaled).
void make_pairs(const pf::test::TempDir& dir, int n, int w = 64, int h = 48) {
  fs::create_directories(dir / "hq");
  fs::create_directories(dir / "lq");
  for (int i = 0; i < n; ++i) {
    const cv::Mat hq = pf::test::textured_image(w, h, 10 + i);
    cv::Mat lq;
    cv::resize(hq, lq, cv::Size(w / 2, h / 2), 0, 0, cv::INTER_AREA);
    pf::test::write_png(dir / ("hq/img" + std::to_string(i) + ".png"), hq);
    pf::test::write_png(dir / ("lq/img" + std::to_string(i) + ".png"), lq);
  }
}

DatasetOptions dataset(const pf::test::TempDir& dir) {
  DatasetOptions d;
  d.key = "train";
  d.type = "pairedimagedataset";
  d.dataroot_gt = {dir / "hq"};
  d.dataroot_lq = {dir / "lq"};
  d.filename_tmpl = "{}";
  d.lq_size = 16;
  return d;
}

}  // namespace

TEST(Sources, PairsMatchByNameAndSizesAreChecked) {
  pf::test::TempDir dir;
  make_pairs(dir, 3);
  pf::test::write_png(dir / "hq/lonely.png", pf::test::textured_image(64, 48, 1));
  Warnings w;
  const auto pairs = list_pairs(dataset(dir), true, 2, 16, w);
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(fs::path(pairs[1].lq).filename(), "img1.png");
  ASSERT_FALSE(w.empty());
  EXPECT_NE(w[0].find("1 HQ images have no LQ twin"), std::string::npos);

  pf::test::write_png(dir / "lq/img1.png", pf::test::textured_image(30, 24, 2));
  try {
    list_pairs(dataset(dir), true, 2, 16, w);
    FAIL();
  } catch (const pf::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("img1.png is not x2: LQ"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("30x24"), std::string::npos) << e.what();
  }
}

TEST(Sources, UnreadableFilesAreSkippedAndCounted) {
  pf::test::TempDir dir;
  make_pairs(dir, 2);
  { std::ofstream(dir / "hq/img1.png") << "not a png"; }
  Warnings w;
  const auto pairs = list_pairs(dataset(dir), true, 2, 16, w);
  EXPECT_EQ(pairs.size(), 1u);
  bool named = false;
  for (const auto& s : w) named = named || s.find("img1.png") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(Sources, PairedCropsAreAlignedAndDeterministic) {
  pf::test::TempDir dir;
  make_pairs(dir, 4);
  Warnings w;
  PairedSource src(list_pairs(dataset(dir), true, 2, 16, w), {16, 2, true, true},
                   std::make_shared<ImageStore>(1 << 24), "t");
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const auto s = src.sample({seed, 3, static_cast<int64_t>(seed)});
    ASSERT_EQ(s.lq.sizes(), (std::vector<int64_t>{3, 16, 16}));
    ASSERT_EQ(s.gt.sizes(), (std::vector<int64_t>{3, 32, 32}));
    // The LQ is the HQ area-downscaled, so the crops must agree (up to 8-bit rounding).
    namespace F = torch::nn::functional;
    const auto down = F::avg_pool2d(s.gt.unsqueeze(0), F::AvgPool2dFuncOptions(2)).squeeze(0);
    EXPECT_LT((down - s.lq).abs().max().item<double>(), 2.5 / 255) << seed;
    const auto again = src.sample({seed, 3, static_cast<int64_t>(seed)});
    EXPECT_TRUE(torch::equal(s.lq, again.lq));
  }
}

TEST(Sources, EpochOrderVisitsEveryImageOncePerEpoch) {
  EpochOrder order(7);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> seen;
    for (int k = 0; k < 7; ++k) seen.insert(order.pick(42, epoch * 7 + k));
    EXPECT_EQ(seen.size(), 7u);
  }
}

TEST(Sources, LoaderBatchesDoNotDependOnThreads) {
  pf::test::TempDir dir;
  make_pairs(dir, 5);
  Warnings w;
  PairedSource src(list_pairs(dataset(dir), true, 2, 16, w), {16, 2, true, true},
                   std::make_shared<ImageStore>(1 << 24), "t");
  const auto batches = [&](int threads, int64_t first) {
    LoaderOptions o;
    o.batch = 3;
    o.accum = 2;
    o.threads = threads;
    o.seed = 9;
    o.first_iteration = first;
    Loader loader(src, o);
    std::vector<torch::Tensor> out;
    for (int i = 0; i < 6; ++i) out.push_back(loader.next().lq);
    return out;
  };
  const auto one = batches(1, 1), two = batches(2, 1), later = batches(2, 2);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(torch::equal(one[i], two[i])) << i;
  // Starting at iteration 2 (a resume) continues the same stream.
  for (size_t i = 2; i < one.size(); ++i) EXPECT_TRUE(torch::equal(one[i], later[i - 2])) << i;
}

TEST(Sources, OtfSamplesComeFromTheEnginePerSeed) {
  pf::test::TempDir dir;
  make_pairs(dir, 2, 96, 96);
  const auto cfg = std::make_shared<pf::degrade::DegradeConfig>(pf::degrade::DegradeConfig::parse(
      pf::load_yaml_string("scale: 2\npipeline:\n  - blur: {kernel: iso, sigma_x: [0.5, 2]}\n"
                           "  - resize: {to_target: true, algorithm: cubic}\n",
                           "otf.yml")));
  Warnings w;
  auto d = dataset(dir);
  OtfSource src(list_pairs(d, false, 0, 0, w), {16, 2, false, false}, cfg,
                std::make_shared<ImageStore>(0), "otf");
  const auto a = src.sample({5, 1, 0}), b = src.sample({5, 1, 0}), c = src.sample({6, 1, 0});
  EXPECT_TRUE(torch::equal(a.lq, b.lq));
  EXPECT_FALSE(torch::equal(a.lq, c.lq));
  EXPECT_EQ(a.gt.sizes(), (std::vector<int64_t>{3, 32, 32}));
  // 8-bit LQ, as written pairs are.
  EXPECT_LT((a.lq * 255 - (a.lq * 255).round()).abs().max().item<double>(), 1e-3);
  // Blurred: the LQ is smoother than the HQ's plain area downscale.
  namespace F = torch::nn::functional;
  const auto area = F::avg_pool2d(a.gt.unsqueeze(0), F::AvgPool2dFuncOptions(2)).squeeze(0);
  const auto tv = [](const torch::Tensor& t) {
    return (t.slice(2, 1) - t.slice(2, 0, -1)).abs().mean().item<double>();
  };
  EXPECT_LT(tv(a.lq), tv(area));
}

TEST(Sources, HighOrderKeysTranslateToAPipelineTheEngineAccepts) {
  // The shipped config (traiNNer-redux's Compact_OTF values) and one that turns every branch on.
  const auto shipped =
      TrainConfig::load(std::string(PAIRFORGE_SOURCE_DIR) + "/configs/train/otf_compact_2x.yml");
  const auto& d = shipped.train_sets[0];
  const std::string yaml = realesrgan_otf_yaml(shipped.otf, d, shipped.scale);
  const auto engine =
      pf::degrade::DegradeConfig::parse(pf::load_yaml_string(yaml, "translated.yml"));
  EXPECT_EQ(engine.scale, 2);
  EXPECT_TRUE(engine.pipeline.uses_op("resize"));
  EXPECT_TRUE(engine.pipeline.uses_op("jpeg"));
  EXPECT_FALSE(engine.pipeline.uses_op("blur"));  // blur_prob 0 in that template

  auto doc =
      pf::load_yaml_file(std::string(PAIRFORGE_SOURCE_DIR) + "/configs/train/otf_compact_2x.yml");
  for (const char* set :
       {"blur_prob=1", "blur_prob2=0.5", "lq_usm=true", "gaussian_noise_prob=0.5",
        "noise_range=[1, 30]", "poisson_scale_range=[0.05, 3]", "gray_noise_prob=0.4",
        "datasets.train.sinc_prob=0.1", "datasets.train.final_sinc_prob=0.8",
        "datasets.train.kernel_range=[7, 21]", "resize_mode_list=[area, bicubic]",
        "resize_mode_prob=[1, 1]"})
    apply_set(doc.root, set);
  const auto all = TrainConfig::parse(doc);
  const auto full = pf::degrade::DegradeConfig::parse(pf::load_yaml_string(
      realesrgan_otf_yaml(all.otf, all.train_sets[0], all.scale), "translated.yml"));
  for (const char* op : {"sharpen", "blur", "resize", "noise", "jpeg"})
    EXPECT_TRUE(full.pipeline.uses_op(op)) << op;
}

TEST(Metrics, TheTrainersPsnrAndSsimEqualValidates) {
  // train/metrics.h (LibTorch) and io/quality.h (OpenCV, `pairforge validate`) follow basicsr.
  const cv::Mat a = pf::test::textured_image(48, 40, 1), b = pf::test::textured_image(48, 40, 2);
  const auto t = [](const cv::Mat& m) {
    return torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kFloat32)
        .permute({2, 0, 1})
        .clone();
  };
  const auto q = pf::io::measure_quality(a, b, 3);
  EXPECT_NEAR(psnr(t(a), t(b), 3, false), q.psnr_rgb, 1e-9);
  EXPECT_NEAR(psnr(t(a), t(b), 3, true), q.psnr_y, 1e-6);
  EXPECT_NEAR(ssim(t(a), t(b), 3, false), q.ssim_rgb, 1e-6);
  EXPECT_NEAR(ssim(t(a), t(b), 3, true), q.ssim_y, 1e-6);
  EXPECT_TRUE(std::isinf(psnr(t(a), t(a), 0, false)));
  EXPECT_NEAR(ssim(t(a), t(a), 0, false), 1.0, 1e-12);
}

namespace {

bool has_warning(const Warnings& w, const std::string& text) {
  for (const auto& s : w)
    if (s.find(text) != std::string::npos) return true;
  return false;
}

// dir/hq/<name>.png of w x h.
void make_hq(const pf::test::TempDir& dir, const std::string& name, int w, int h, uint64_t seed) {
  fs::create_directories(dir / "hq");
  pf::test::write_png(dir / ("hq/" + name + ".png"), pf::test::textured_image(w, h, seed));
}

DatasetOptions hq_only(const pf::test::TempDir& dir, int64_t lq_size) {
  DatasetOptions d = dataset(dir);
  d.type = "otfdataset";
  d.dataroot_lq.clear();
  d.lq_size = lq_size;
  return d;
}

std::shared_ptr<pf::degrade::DegradeConfig> cubic_x2() {
  return std::make_shared<pf::degrade::DegradeConfig>(
      pf::degrade::DegradeConfig::parse(pf::load_yaml_string(
          "scale: 2\npipeline:\n  - resize: {to_target: true, algorithm: cubic}\n", "otf.yml")));
}

}  // namespace

// Issue 26: HQ images smaller than the crop were padded with black, which became training
// targets. They are left out, counted and named; when nothing fits the error gives the sizes.
TEST(Sources, HqImagesSmallerThanTheCropAreLeftOutAndNamed) {
  pf::test::TempDir dir;
  make_hq(dir, "big0", 96, 80, 1);
  make_hq(dir, "big1", 80, 96, 2);
  make_hq(dir, "small", 60, 90, 3);  // 60 < 64, the HQ crop of lq_size 32 at x2
  Warnings w;
  const auto kept = list_pairs(hq_only(dir, 32), false, 2, 32, w);
  ASSERT_EQ(kept.size(), 2u);
  for (const auto& p : kept) EXPECT_EQ(p.gt.find("small"), std::string::npos);
  ASSERT_TRUE(has_warning(w,
                          "datasets.train: 1 of 3 HQ images are smaller than the 64x64 HQ "
                          "crop (lq_size 32 x scale 2) and are left out"))
      << w[0];
  EXPECT_TRUE(has_warning(w, "small.png 60x90"));

  // No image fits: the error says how large the crop is and what would fit.
  try {
    list_pairs(hq_only(dir, 64), false, 2, 64, w);
    FAIL();
  } catch (const pf::InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("datasets.train: no image is large enough for the 128x128 HQ crop (lq_size "
                     "64 x scale 2): all 3 are smaller; the largest fits lq_size 40"),
              std::string::npos)
        << m;
  }

  // Every sample of what is kept is the image itself: no black border anywhere.
  OtfSource src(kept, {32, 2, false, false}, cubic_x2(), std::make_shared<ImageStore>(0), "t");
  for (uint64_t k = 0; k < 8; ++k) {
    const auto s = src.sample({k, 1, static_cast<int64_t>(k)});
    ASSERT_EQ(s.gt.sizes(), (std::vector<int64_t>{3, 64, 64}));
    EXPECT_GT(s.gt.sum(0).min().item<double>(), 0.05) << k;  // textured_image has no black
  }
}

// small_images: upscale keeps a small HQ image, upscaled until a crop fits (never padded).
TEST(Sources, SmallImagesUpscaleFillsTheCrop) {
  pf::test::TempDir dir;
  make_hq(dir, "small", 50, 40, 4);
  auto d = hq_only(dir, 32);
  d.small_images = "upscale";
  Warnings w;
  const auto kept = list_pairs(d, false, 2, 32, w);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(has_warning(w, "1 of 1 HQ images are smaller than the 64x64 HQ crop"));
  OtfSource src(kept, {32, 2, false, false}, cubic_x2(), std::make_shared<ImageStore>(0), "t");
  const auto s = src.sample({3, 1, 0});
  ASSERT_EQ(s.gt.sizes(), (std::vector<int64_t>{3, 64, 64}));
  EXPECT_GT(s.gt.sum(0).min().item<double>(), 0.05);
}

// Paired data: a pair whose LQ is smaller than lq_size is left out and named (it stopped the
// whole dataset before); none large enough is an error with the sizes.
TEST(Sources, PairsSmallerThanTheCropAreLeftOut) {
  pf::test::TempDir dir;
  make_pairs(dir, 2);  // LQ 32x24
  const cv::Mat hq = pf::test::textured_image(20, 40, 9);
  cv::Mat lq;
  cv::resize(hq, lq, cv::Size(10, 20), 0, 0, cv::INTER_AREA);
  pf::test::write_png(dir / "hq/thin.png", hq);
  pf::test::write_png(dir / "lq/thin.png", lq);
  Warnings w;
  EXPECT_EQ(list_pairs(dataset(dir), true, 2, 16, w).size(), 2u);
  EXPECT_TRUE(has_warning(w, "1 of 3 pairs are smaller than the 16x16 LQ crop (lq_size)"));
  EXPECT_TRUE(has_warning(w, "thin.png 10x20"));
  try {
    list_pairs(dataset(dir), true, 2, 4000, w);  // the OOM case of the issue: refused, sized
    FAIL();
  } catch (const pf::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("the largest fits lq_size 24"), std::string::npos)
        << e.what();
  }
}

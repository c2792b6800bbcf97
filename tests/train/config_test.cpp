// The traiNNer-redux config reader: strict keys with file:line:column, the supported subset,
// warnings for keys without effect, --set overrides, and the archs' defaults.
#include <gtest/gtest.h>

#include "core/error.h"
#include "train_test_util.h"

using namespace pf::train;
using pf::test::error_of;
using pf::test::has;
using pf::test::parse_config;
using pf::test::small_config;

namespace {

const char* kCompact = "  type: compact\n";

}  // namespace

TEST(TrainConfig, ReadsTheSmallConfig) {
  const auto c = parse_config(small_config(kCompact, 30));
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.scale, 2);
  ASSERT_EQ(c.train_sets.size(), 1u);
  EXPECT_EQ(c.train_sets[0].gt_size, 24);
  EXPECT_EQ(c.network_g.spec.arch, "Compact");
  EXPECT_EQ(c.network_g.spec.get_int("num_feat"), 64);
  EXPECT_EQ(c.train.optim_g.type, "AdamW");
  EXPECT_DOUBLE_EQ(c.train.optim_g.lr, 5e-4);
  ASSERT_EQ(c.train.losses.size(), 1u);
  EXPECT_EQ(c.train.losses[0].type, "l1loss");
  EXPECT_NE(c.resolved_yaml().find("total_iter: 30"), std::string::npos);
}

TEST(TrainConfig, UnknownKeysNameThePlaceAndTheNearestKey) {
  std::string y = small_config(kCompact, 30);
  y.replace(y.find("total_iter"), 10, "total_iters");
  const std::string e = error_of(y);
  EXPECT_NE(e.find("t.yml:"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'total_iter'"), std::string::npos) << e;
  const std::string top = error_of("naem: x\n" + small_config(kCompact, 30));
  EXPECT_NE(top.find("t.yml:1:1: unknown key 'naem'"), std::string::npos) << top;
  EXPECT_NE(top.find("did you mean 'name'"), std::string::npos) << top;
}

TEST(TrainConfig, OutOfRangeValuesGiveTheRange) {
  std::string y = small_config(kCompact, 30);
  y.replace(y.find("lq_size: 12"), 11, "lq_size: -3");
  const std::string e = error_of(y);
  EXPECT_NE(e.find("t.yml:12:14"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range [0, 4096]"), std::string::npos) << e;
}

TEST(TrainConfig, UnsupportedArchsLossesAndFeaturesAreErrors) {
  const std::string arch = error_of(small_config("  type: esrgan\n", 30));
  EXPECT_NE(arch.find("not supported by pairforge; supported: compact, ultracompact, "
                      "superultracompact, span, span_s"),
            std::string::npos)
      << arch;
  const std::string loss =
      error_of(small_config(kCompact, 30, "    - {type: distsloss, loss_weight: 0.5}\n"));
  EXPECT_NE(loss.find("loss type 'distsloss'"), std::string::npos) << loss;
  EXPECT_NE(loss.find("supported: l1loss"), std::string::npos) << loss;
  // ...but a loss with weight 0 is disabled, as traiNNer-redux documents.
  const auto c =
      parse_config(small_config(kCompact, 30, "    - {type: distsloss, loss_weight: 0}\n"));
  EXPECT_EQ(c.train.losses.size(), 1u);
  EXPECT_TRUE(has(c.warnings, "distsloss has loss_weight 0 and is disabled"));
  EXPECT_NE(error_of(small_config(kCompact, 30, "  use_moa: true\n")).find("use_moa"),
            std::string::npos);
  EXPECT_EQ(error_of(small_config(kCompact, 30, "  use_moa: false\n")), "");
  // A discriminator without a ganloss trains nothing: a warning, as for other unused keys.
  const auto d = parse_config("network_d: {type: dunet}\n" + small_config(kCompact, 30));
  EXPECT_FALSE(d.network_d.has_value());
  EXPECT_TRUE(has(d.warnings, "network_d has no effect without a ganloss"));
  // A GPU count is the launcher's business (pairforge train checks it against the GPUs).
  std::string gpus = small_config(kCompact, 30);
  gpus.replace(gpus.find("num_gpu: 0"), 10, "num_gpu: 4");
  EXPECT_EQ(parse_config(gpus).num_gpu, "4");
  gpus.replace(gpus.find("num_gpu: 4"), 10, "num_gpu: x");
  EXPECT_NE(error_of(gpus).find("num_gpu must be auto or a count"), std::string::npos);
}

TEST(TrainConfig, KeysWithoutEffectGetOneWarningEach) {
  const auto c =
      parse_config("use_compile: false\nfast_matmul: false\n" + small_config(kCompact, 30));
  EXPECT_TRUE(has(c.warnings, "t.yml:1:1: config.use_compile has no effect"));
  EXPECT_TRUE(has(c.warnings, "config.fast_matmul has no effect"));
  EXPECT_TRUE(has(c.warnings, "logger.use_tb_logger has no effect"));
}

TEST(TrainConfig, SetOverridesApplyBeforeChecking) {
  auto doc = pf::load_yaml_string(small_config(kCompact, 30), "t.yml");
  apply_set(doc.root, "train.total_iter=5");
  apply_set(doc.root, "train.optim_g.lr=1e-4");
  apply_set(doc.root, "train.losses.0.loss_weight=0.5");
  apply_set(doc.root, "network_g.num_feat=16");
  const auto c = TrainConfig::parse(doc);
  EXPECT_EQ(c.train.total_iter, 5);
  EXPECT_DOUBLE_EQ(c.train.optim_g.lr, 1e-4);
  EXPECT_DOUBLE_EQ(c.train.losses[0].weight, 0.5);
  EXPECT_EQ(c.network_g.spec.get_int("num_feat"), 16);
  EXPECT_THROW(apply_set(doc.root, "no_equals_sign"), pf::ConfigError);
}

TEST(TrainConfig, ArchDefaultsAreTraiNNerRedux) {
  const auto span = parse_config(small_config("  type: span\n", 30));
  EXPECT_EQ(span.network_g.spec.get_int("feature_channels"), 52);
  EXPECT_FALSE(span.network_g.spec.get_bool("norm"));
  const auto span_s = parse_config(small_config("  type: span_s\n  norm: true\n", 30));
  EXPECT_EQ(span_s.network_g.spec.get_int("feature_channels"), 48);
  EXPECT_TRUE(span_s.network_g.spec.get_bool("norm"));
  const auto suc = parse_config(small_config("  type: superultracompact\n", 30));
  EXPECT_EQ(suc.network_g.spec.get_int("num_feat"), 24);
  EXPECT_EQ(suc.network_g.spec.get_int("num_conv"), 8);
  EXPECT_NE(error_of(small_config("  type: span\n  num_blocks: 4\n", 30)).find("num_blocks"),
            std::string::npos);
}

TEST(TrainConfig, DatasetRules) {
  std::string otf = small_config(kCompact, 30);
  otf.replace(otf.find("pairedimagedataset"), 18, "realesrgandataset");
  EXPECT_NE(error_of(otf).find("set high_order_degradation: true"), std::string::npos);
  EXPECT_EQ(error_of("high_order_degradation: true\n" + otf), "");
  std::string own = small_config(kCompact, 30);
  own.replace(own.find("pairedimagedataset"), 18, "otfdataset");
  EXPECT_NE(error_of(own).find("otfdataset needs `degradation:`"), std::string::npos);
  std::string paired = small_config(kCompact, 30);
  paired.replace(paired.find("dataroot_lq: [lq]"), 17, "dataroot_lq: [lq, lq2]");
  EXPECT_NE(error_of(paired).find("one dataroot_lq per dataroot_gt"), std::string::npos);
}

TEST(TrainConfig, ValidationNeedsItsDatasetAndFrequency) {
  const std::string val =
      "val:\n  val_enabled: true\n  save_img: true\n  val_freq: 10\n"
      "  metrics_enabled: true\n  metrics:\n    psnr: {type: calculate_psnr, "
      "crop_border: 2}\n    lpips: {type: calculate_lpips}\n";
  const std::string e = error_of(small_config(kCompact, 30) + val);
  EXPECT_NE(e.find("calculate_lpips needs pretrained network weights"), std::string::npos) << e;
}

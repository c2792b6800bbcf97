// GAN and perceptual training: the adversarial losses' signs and sizes on crafted predictions,
// the perceptual and LDL losses against independent Python versions, the config rules, a few
// GAN iterations of Compact and SPAN-S, and a resume that restores both networks and both
// optimisers bit for bit.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "models/zip.h"
#include "reference_util.h"
#include "train/losses/gan_loss.h"
#include "train/network_d.h"
#include "train/run_state.h"
#include "train/train_log.h"
#include "train/trainer.h"
#include "train_test_util.h"
#include "vgg_util.h"

using namespace pf::train;
using pf::test::error_of;
using pf::test::flat_weights;
using pf::test::has;
using pf::test::options;
using pf::test::synthetic;
namespace fs = std::filesystem;

namespace {

GanLoss gan(const std::string& type, double real = 1, double fake = 0) {
  return GanLoss(GanLossOptions{type, real, fake});
}

double value(const torch::Tensor& t) {
  return t.item<double>();
}

// d loss / d pred (all elements alike here), to check the direction a loss pushes.
double slope(const std::function<torch::Tensor(const torch::Tensor&)>& loss, double at) {
  auto p = torch::full({2, 1, 4, 4}, at, torch::requires_grad());
  loss(p).backward();
  return p.grad().mean().item<double>();
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST(GanLoss, VanillaIsBceWithLogitsAgainstTheLabels) {
  const auto v = gan("vanilla");
  const auto zero = torch::zeros({2, 1, 8, 8});
  // An undecided discriminator (logit 0): ln 2 for every term.
  EXPECT_NEAR(value(v.discriminator_loss(zero, true)), std::log(2.0), 1e-6);
  EXPECT_NEAR(value(v.discriminator_loss(zero, false)), std::log(2.0), 1e-6);
  EXPECT_NEAR(value(v.generator_loss(zero)), std::log(2.0), 1e-6);
  // A discriminator sure an image is real (logit 4): small loss on real, large on fake; the
  // generator is content when D says real.
  const auto sure = torch::full({2, 1, 8, 8}, 4.0);
  EXPECT_NEAR(value(v.discriminator_loss(sure, true)), std::log1p(std::exp(-4.0)), 1e-6);
  EXPECT_NEAR(value(v.discriminator_loss(sure, false)), 4 + std::log1p(std::exp(-4.0)), 1e-5);
  EXPECT_NEAR(value(v.generator_loss(-sure)), 4 + std::log1p(std::exp(-4.0)), 1e-5);
  // Directions: D raises its logit on real images and lowers it on fakes; G raises it.
  EXPECT_LT(slope([&](const torch::Tensor& p) { return v.discriminator_loss(p, true); }, 0), 0);
  EXPECT_GT(slope([&](const torch::Tensor& p) { return v.discriminator_loss(p, false); }, 0), 0);
  EXPECT_LT(slope([&](const torch::Tensor& p) { return v.generator_loss(p); }, 0), 0);
}

TEST(GanLoss, LsganHingeAndWganValues) {
  const auto pred = torch::full({1, 1, 8, 8}, 0.25);
  const auto ls = gan("lsgan");
  EXPECT_NEAR(value(ls.discriminator_loss(pred, true)), 0.5625, 1e-6);   // (1 - 0.25)^2
  EXPECT_NEAR(value(ls.discriminator_loss(pred, false)), 0.0625, 1e-6);  // 0.25^2
  EXPECT_NEAR(value(ls.generator_loss(pred)), 0.5625, 1e-6);
  // traiNNer-redux's label values: smoothed real labels move the target.
  EXPECT_NEAR(value(gan("lsgan", 0.9, 0.1).discriminator_loss(pred, true)), 0.4225, 1e-6);
  EXPECT_NEAR(value(gan("lsgan", 0.9, 0.1).discriminator_loss(pred, false)), 0.0225, 1e-6);

  const auto hinge = gan("hinge");
  const auto half = torch::full({1, 1, 8, 8}, 0.5);
  EXPECT_NEAR(value(hinge.discriminator_loss(half, true)), 0.5, 1e-6);   // relu(1 - 0.5)
  EXPECT_NEAR(value(hinge.discriminator_loss(half, false)), 1.5, 1e-6);  // relu(1 + 0.5)
  EXPECT_NEAR(value(hinge.discriminator_loss(torch::full({1}, 2.0), true)), 0.0, 1e-6);
  EXPECT_NEAR(value(hinge.generator_loss(half)), -0.5, 1e-6);  // -mean: may go negative
  EXPECT_LT(slope([&](const torch::Tensor& p) { return hinge.generator_loss(p); }, 0), 0);

  const auto w = gan("wgan");
  EXPECT_NEAR(value(w.discriminator_loss(half, true)), -0.5, 1e-6);
  EXPECT_NEAR(value(w.discriminator_loss(half, false)), 0.5, 1e-6);
  const auto ws = gan("wgan_softplus");
  EXPECT_NEAR(value(ws.discriminator_loss(half, true)), std::log1p(std::exp(-0.5)), 1e-6);
  EXPECT_NEAR(value(ws.discriminator_loss(half, false)), std::log1p(std::exp(0.5)), 1e-6);
}

namespace {

std::string gan_config(const std::string& network, int64_t iters, const std::string& d = "dunet",
                       const std::string& extra_losses = "") {
  std::string y = pf::test::small_config(
      network, iters,
      "    - {type: ganloss, gan_type: vanilla, loss_weight: 0.1}\n" + extra_losses +
          "  optim_d: {type: AdamW, lr: !!float 2e-4, weight_decay: 0, betas: [0.9, 0.99]}\n");
  y.insert(y.find("train:\n  total_iter"), "network_d:\n  type: " + d + "\n  num_feat: 8\n");
  y.replace(y.find("lq_size: 12"), 11, "lq_size: 16");
  return y;
}

const char* kCompactSmall = "  type: compact\n  num_feat: 16\n  num_conv: 4\n";

}  // namespace

TEST(GanConfig, NetworkDOptimDAndTheirRules) {
  const auto c = pf::test::parse_config(gan_config(kCompactSmall, 10, "unetdiscriminatorsn"));
  ASSERT_TRUE(c.network_d.has_value());
  EXPECT_EQ(c.network_d->type, "unetdiscriminatorsn");
  EXPECT_EQ(c.network_d->num_feat, 8);
  ASSERT_TRUE(c.train.optim_d.has_value());
  EXPECT_DOUBLE_EQ(c.train.optim_d->lr, 2e-4);
  EXPECT_NE(c.resolved_yaml().find("network_d:\n  type: unetdiscriminatorsn"), std::string::npos);
  EXPECT_NE(c.resolved_yaml().find("optim_d:"), std::string::npos);
  // traiNNer-redux spells them in CamelCase too.
  std::string camel = gan_config(kCompactSmall, 10);
  camel.replace(camel.find("type: dunet"), 11, "type: DUnet");
  EXPECT_EQ(error_of(camel), "");

  // A ganloss needs both; a weight of 0 disables it and leaves them unused (one warning each).
  std::string no_d = gan_config(kCompactSmall, 10);
  no_d.erase(no_d.find("network_d:"),
             std::string("network_d:\n  type: dunet\n  num_feat: 8\n").size());
  EXPECT_NE(error_of(no_d).find("ganloss needs a discriminator: add network_d"), std::string::npos)
      << error_of(no_d);
  std::string no_optim = gan_config(kCompactSmall, 10);
  no_optim.erase(no_optim.find("  optim_d:"),
                 no_optim.find("logger:") - no_optim.find("  optim_d:"));
  EXPECT_NE(error_of(no_optim).find("add train.optim_d"), std::string::npos) << error_of(no_optim);
  std::string off = gan_config(kCompactSmall, 10);
  off.replace(off.find("loss_weight: 0.1"), 16, "loss_weight: 0");
  const auto unused = pf::test::parse_config(off);
  EXPECT_FALSE(unused.network_d.has_value());
  EXPECT_TRUE(has(unused.warnings, "network_d has no effect without a ganloss"));
  EXPECT_TRUE(has(unused.warnings, "train.optim_d has no effect"));

  std::string other = gan_config(kCompactSmall, 10);
  other.replace(other.find("type: dunet"), 11, "type: metagan2");
  EXPECT_NE(error_of(other).find("supported: unetdiscriminatorsn, dunet"), std::string::npos);
  std::string odd = gan_config(kCompactSmall, 10);
  odd.replace(odd.find("lq_size: 16"), 11, "lq_size: 10");  // HQ 20: not a multiple of 8
  EXPECT_NE(error_of(odd).find("multiple of 8"), std::string::npos) << error_of(odd);
  // LDL compares with the EMA generator.
  const std::string ldl =
      gan_config(kCompactSmall, 10, "dunet", "    - {type: ldlloss, loss_weight: 1}\n");
  EXPECT_NE(error_of(ldl).find("ldlloss compares with the EMA generator"), std::string::npos);
  std::string with_ema = ldl;
  with_ema.insert(with_ema.find("  optim_d:"), "  ema_decay: 0.999\n");
  EXPECT_EQ(error_of(with_ema), "");
}

TEST(GanConfig, LearnedMetricsAreSkippedWithValidationOffAndRefusedWithItOn) {
  const std::string metrics =
      "val:\n  val_enabled: false\n  metrics_enabled: true\n  metrics:\n    topiq:\n      type: "
      "calculate_topiq\n";
  const auto c = pf::test::parse_config(pf::test::small_config(kCompactSmall, 10) + metrics);
  EXPECT_TRUE(c.val.metrics.empty());
  EXPECT_TRUE(has(c.warnings, "val.metrics.topiq is skipped (calculate_topiq needs pretrained"));
  std::string on = metrics;
  on.replace(on.find("val_enabled: false"), 18, "val_enabled: true\n  val_freq: 5");
  std::string y = pf::test::small_config(kCompactSmall, 10) + on;
  y.insert(y.find("network_g:"),
           "  val:\n    name: v\n    type: pairedimagedataset\n    dataroot_gt: [g]\n"
           "    dataroot_lq: [l]\n");
  EXPECT_NE(error_of(y).find("calculate_topiq needs pretrained network weights"),
            std::string::npos);
}

TEST(PerceptualLoss, SaysWhatToSupplyWhenTheVggWeightsAreMissing) {
  pf::test::TempDir dir;
  ScopedEnv home("TORCH_HOME", dir / "torch");
  const std::string y = pf::test::small_config(
      kCompactSmall, 10,
      "    - {type: perceptualloss, criterion: charbonnier, loss_weight: 0.01}\n");
  const std::string e = error_of(y);
  EXPECT_NE(e.find("t.yml:"), std::string::npos) << e;
  EXPECT_NE(e.find("vgg19-dcbb9e9d.pth"), std::string::npos) << e;
  EXPECT_NE(e.find("never downloads"), std::string::npos) << e;
  EXPECT_NE(e.find(dir / "torch/hub/checkpoints/vgg19-dcbb9e9d.pth"), std::string::npos) << e;
  EXPECT_NE(e.find("vgg_weights"), std::string::npos) << e;
  // Where torchvision keeps its downloads is found without a key.
  fs::create_directories(dir / "torch/hub/checkpoints");
  pf::test::write_random_vgg19(dir / "torch/hub/checkpoints/vgg19-dcbb9e9d.pth");
  EXPECT_EQ(error_of(y), "");
  // An explicit path that is not there is named.
  std::string named = y;
  named.replace(named.find("criterion: charbonnier"), 22,
                "criterion: charbonnier, vgg_weights: /nowhere/vgg.pth");
  EXPECT_NE(error_of(named).find("vgg_weights '/nowhere/vgg.pth' is not a file"),
            std::string::npos);
  // Options are checked against the layers.
  std::string bad = y;
  bad.replace(bad.find("criterion: charbonnier"), 22,
              "criterion: charbonnier, layer_weights: {conv3_3: 1, relu9_9: 1}");
  EXPECT_NE(error_of(bad).find("VGG19 has no layer 'relu9_9'"), std::string::npos);
  std::string mixed = y;
  mixed.replace(mixed.find("criterion: charbonnier"), 22,
                "criterion: pd, layer_weights: {conv3_4: 1}");
  EXPECT_NE(error_of(mixed).find("criterion pd compares relu layers"), std::string::npos);
}

namespace {

// Builds one loss from a YAML entry.
std::unique_ptr<Loss> make_loss(const std::string& entry) {
  Warnings w;
  const auto doc = pf::load_yaml_string(entry, "loss.yml");
  return find_loss(doc.root["type"].Scalar())->make(doc.root, "loss.yml", w);
}

}  // namespace

TEST(PerceptualLoss, MatchesTraiNNerReduxsDefinitionInPython) {
  pf::test::TempDir dir;
  pf::test::write_random_vgg19(dir / "vgg19.pth", 3);
  torch::manual_seed(4);
  const auto x = torch::rand({2, 3, 32, 32});
  const auto y = (x + 0.1 * torch::randn({2, 3, 32, 32})).clamp(0, 1);
  pf::models::write_file_bytes(
      dir / "xy.safetensors",
      pf::models::write_safetensors(
          {{"x", pf::models::from_torch(x)}, {"y", pf::models::from_torch(y)}}, {}));
  const std::string python = pf::test::python_with_torch();
  // pd+l1 covers l1 on the conv layers and pd on the relu layers (one Python run each: slow).
  for (const std::string criterion : {"charbonnier", "pd+l1"}) {
    auto loss = make_loss("{type: perceptualloss, criterion: '" + criterion + "', vgg_weights: '" +
                          (dir / "vgg19.pth") + "'}");
    // Identical images: no loss (charbonnier's eps leaves 1e-6 per layer, weights 3.2 in all).
    EXPECT_NEAR(value(loss->forward(x, x).front().second), 0.0, 4e-6) << criterion;
    auto xr = x.clone().requires_grad_(true);
    const auto l = loss->forward(xr, y).front().second;
    EXPECT_GT(value(l), 0.0) << criterion;
    l.backward();
    if (python.empty()) continue;
    const std::string cmd = python + " " + PAIRFORGE_SOURCE_DIR +
                            "/bench/python/gan_reference.py perceptual " + (dir / "vgg19.pth") +
                            " '" + criterion + "' " + (dir / "xy.safetensors") + " " +
                            (dir / "p.npy");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const auto ref = pf::test::read_npy(dir / "p.npy");
    const double ref_loss = ref[0].item<double>();
    const auto ref_grad = ref.slice(0, 1).view(x.sizes());
    EXPECT_NEAR(value(l), ref_loss, 1e-4 * std::abs(ref_loss)) << criterion;
    const double gdiff = (xr.grad() - ref_grad).abs().max().item<double>();
    const double gscale = ref_grad.abs().max().item<double>();
    EXPECT_LE(gdiff, 1e-3 * gscale) << criterion;
    std::printf("[ measured ] perceptualloss %s: %.6g (Python %.6g), max grad diff %.2g of %.2g\n",
                criterion.c_str(), value(l), ref_loss, gdiff, gscale);
  }
  if (python.empty()) GTEST_SKIP() << pf::test::kNoPython;
}

TEST(PerceptualLoss, FdCriterionRunsAndVerboseLoggingGivesTheLayers) {
  pf::test::TempDir dir;
  pf::test::write_random_vgg19(dir / "vgg19.pth", 5);
  torch::manual_seed(6);
  // fd's unpadded 5 x 5 projections need conv5_4's features (1/16 of the side) to be 5 x 5.
  const auto x = torch::rand({1, 3, 80, 80}), y = torch::rand({1, 3, 80, 80});
  auto fd = make_loss("{type: perceptualloss, criterion: 'fd+l1', num_proj_fd: 16, vgg_weights: '" +
                      (dir / "vgg19.pth") + "'}");
  // Smaller images are refused naming the layer, not with a convolution's message.
  try {
    fd->forward(torch::rand({1, 3, 64, 64}), torch::rand({1, 3, 64, 64}));
    ADD_FAILURE() << "a 64x64 image passed fd";
  } catch (const pf::Error& e) {
    EXPECT_NE(std::string(e.what()).find("VGG19 layer relu5_4 is 4x4 for a 64x64 image"),
              std::string::npos)
        << e.what();
  }
  EXPECT_GT(value(fd->forward(x, y).front().second), 0.0);
  EXPECT_NEAR(value(fd->forward(x, x).front().second), 0.0, 1e-5);
  auto verbose = make_loss(
      "{type: perceptualloss, verbose_logging: true, layer_weights: {conv2_2: 0.5, conv4_4: 1}, "
      "vgg_weights: '" +
      (dir / "vgg19.pth") + "'}");
  const auto parts = verbose->forward(x, y);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].first, "conv2_2");
  EXPECT_EQ(parts[1].first, "conv4_4");
}

TEST(LdlLoss, WeighsOnlyWhereTheOutputIsWorseThanTheEma) {
  torch::manual_seed(7);
  const auto gt = torch::rand({2, 3, 24, 24});
  const auto noise = 0.1 * torch::randn({2, 3, 24, 24});
  auto ldl = make_loss("{type: ldlloss, criterion: l1}");
  // Output closer to the HQ than the EMA everywhere: no artifacts, no loss.
  const auto closer = gt + 0.5 * noise, ema = gt + noise;
  torch::Tensor e = ema;
  LossInputs in{closer, gt, nullptr, [&] { return e; }};
  EXPECT_NEAR(value(ldl->evaluate(in).front().second), 0.0, 1e-7);
  // Further away everywhere: a positive loss.
  const auto worse = gt + 2 * noise;
  LossInputs in2{worse, gt, nullptr, [&] { return e; }};
  EXPECT_GT(value(ldl->evaluate(in2).front().second), 1e-4);
  EXPECT_THROW(ldl->forward(worse, gt), pf::Error);

  const std::string python = pf::test::python_with_torch();
  if (python.empty()) GTEST_SKIP() << pf::test::kNoPython;
  pf::test::TempDir dir;
  const auto out = (gt + 1.3 * 0.1 * torch::randn({2, 3, 24, 24})).clamp(0, 1);
  pf::models::write_file_bytes(dir / "ldl.safetensors",
                               pf::models::write_safetensors({{"out", pf::models::from_torch(out)},
                                                              {"gt", pf::models::from_torch(gt)},
                                                              {"ema", pf::models::from_torch(ema)}},
                                                             {}));
  for (const std::string crit : {"l1", "l2", "charbonnier"}) {
    auto loss = make_loss("{type: ldlloss, criterion: " + crit + "}");
    auto o = out.clone().requires_grad_(true);
    LossInputs li{o, gt, nullptr, [&] { return e; }};
    const auto l = loss->evaluate(li).front().second;
    l.backward();
    const std::string cmd = python + " " + PAIRFORGE_SOURCE_DIR +
                            "/bench/python/gan_reference.py ldl " + crit + " " +
                            (dir / "ldl.safetensors") + " " + (dir / "l.npy");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const auto ref = pf::test::read_npy(dir / "l.npy");
    EXPECT_NEAR(value(l), ref[0].item<double>(), 1e-5 * std::abs(ref[0].item<double>()) + 1e-9)
        << crit;
    const auto g = ref.slice(0, 1).view(out.sizes());
    EXPECT_LE((o.grad() - g).abs().max().item<double>(), 1e-4 * g.abs().max().item<double>() + 1e-9)
        << crit;
  }
}

namespace {

// Compact or SPAN-S with the losses of traiNNer-redux's GAN templates (perceptual, GAN, LDL,
// MS-SSIM), small.
std::string gan_training_config(const std::string& arch, const std::string& vgg, int64_t iters,
                                const std::string& d) {
  const std::string net =
      arch == "compact" ? std::string(kCompactSmall) : "  type: span_s\n  feature_channels: 16\n";
  std::string y = gan_config(net, iters, d,
                             "    - {type: perceptualloss, criterion: charbonnier, loss_weight: "
                             "0.01, vgg_weights: '" +
                                 vgg +
                                 "'}\n    - {type: ldlloss, loss_weight: 1.0}\n"
                                 "    - {type: mssimloss, loss_weight: 0.5}\n"
                                 "  ema_decay: 0.99\n");
  y.replace(y.find("save_checkpoint_freq: 1000"), 26, "save_checkpoint_freq: 4");
  y.replace(y.find("batch_size_per_gpu: 4"), 21, "batch_size_per_gpu: 2");
  return y;
}

}  // namespace

class GanTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(GanTraining, AFewIterationsTrainBothNetworksAndSaveTheDiscriminator) {
  pf::test::TrainTempDir dir;
  pf::test::write_random_vgg19(dir / "vgg19.pth", 8);
  const auto c = pf::test::parse_config(gan_training_config(
      GetParam(), dir / "vgg19.pth", 6, GetParam() == "compact" ? "dunet" : "unetdiscriminatorsn"));
  const auto r = run_training(c, synthetic(16, 2), options(dir));
  EXPECT_EQ(r.last_iteration, 6);
  ASSERT_EQ(r.model_files.size(), 3u);  // net_g, net_g_ema, net_d
  EXPECT_EQ(fs::path(r.model_files[2]).filename(), "net_d_6.safetensors");
  const auto d = pf::models::read_checkpoint(r.model_files[2]);
  EXPECT_EQ(d.metadata.at("network_d"), c.network_d->type);
  // The discriminator learnt: its weights moved from a fresh one's with the same seed.
  const auto state = load_state(r.last_state);
  EXPECT_FALSE(state.net_d.empty());
  EXPECT_FALSE(state.optimizer_d.empty());
  int records = 0;
  for (const auto& rec : read_train_log((fs::path(r.run_dir) / "train_log.jsonl").string())) {
    if (rec["event"] != "train") continue;
    ++records;
    for (const char* k : {"ganloss", "perceptualloss", "ldlloss", "l_d_real", "l_d_fake",
                          "out_d_real", "out_d_fake"}) {
      ASSERT_TRUE(rec["losses"].contains(k)) << k;
      EXPECT_TRUE(std::isfinite(rec["losses"][k].get<double>())) << k;
    }
    // The generator's total leaves the discriminator's terms out.
    const auto& l = rec["losses"];
    const double g = l["ganloss"].get<double>() + l["perceptualloss"].get<double>() +
                     l["ldlloss"].get<double>() + l["mssimloss"].get<double>() +
                     l["l1loss"].get<double>();
    EXPECT_NEAR(l["total"].get<double>(), g, 1e-6 * std::abs(g));
    // An untrained D is near chance: both of its losses close to ln 2.
    EXPECT_NEAR(l["l_d_real"].get<double>(), std::log(2.0), 0.4);
  }
  EXPECT_EQ(records, 1);
}

INSTANTIATE_TEST_SUITE_P(Train, GanTraining, ::testing::Values("compact", "span_s"));

TEST(GanTraining, ResumeRestoresBothNetworksAndBothOptimisersBitForBit) {
  pf::test::TrainTempDir dir, straight_dir, crash_dir;
  pf::test::write_random_vgg19(dir / "vgg19.pth", 9);
  std::string y = gan_training_config("compact", dir / "vgg19.pth", 8, "unetdiscriminatorsn");
  // Accumulation, warm-up and a schedule, adaptive_d: every piece of state a resume restores.
  // adaptive_d without smoothing skips the D pass of a micro-batch whose GAN loss rose: some
  // run, some do not (with the default decay the average rises for thousands of iterations
  // from its start at 0, and D would not train at all here).
  y.replace(y.find("batch_size_per_gpu: 2"), 21, "batch_size_per_gpu: 2\n    accum_iter: 2");
  y.insert(y.find("  optim_d:"),
           "  warmup_iter: 3\n  scheduler: {type: MultiStepLR, milestones: [5], gamma: 0.5}\n"
           "  adaptive_d: true\n  adaptive_d_ema_decay: 0\n  adaptive_d_threshold: 1.0\n"
           "  grad_clip: true\n");
  const auto c = pf::test::parse_config(y);
  const auto straight = run_training(c, synthetic(16, 2), options(straight_dir));
  ASSERT_EQ(straight.model_files.size(), 3u);

  auto o = options(crash_dir);
  o.after_iteration = [](int64_t it) {
    if (it == 6) throw pf::Error("simulated crash");
  };
  EXPECT_THROW(run_training(c, synthetic(16, 2), o), pf::Error);
  ASSERT_TRUE(fs::exists(crash_dir / "experiments/t/training_states/6.state"));
  const auto mid = load_state(crash_dir / "experiments/t/training_states/6.state");
  EXPECT_FALSE(mid.net_d.empty());
  EXPECT_FALSE(mid.optimizer_d.empty());
  o.after_iteration = nullptr;
  o.resume = "auto";
  const auto resumed = run_training(c, synthetic(16, 2), o);
  EXPECT_EQ(resumed.first_iteration, 7);
  ASSERT_EQ(resumed.model_files.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_TRUE(
        torch::equal(flat_weights(straight.model_files[i]), flat_weights(resumed.model_files[i])))
        << resumed.model_files[i];
  // The discriminator's optimiser moments too.
  const auto a = load_state(straight.last_state), b = load_state(resumed.last_state);
  ASSERT_EQ(a.optimizer_d.size(), b.optimizer_d.size());
  for (size_t i = 0; i < a.optimizer_d.size(); ++i)
    EXPECT_TRUE(torch::equal(a.optimizer_d[i].second, b.optimizer_d[i].second))
        << a.optimizer_d[i].first;
}

TEST(GanTraining, PretrainNetworkDLoadsStrictlyAndNamesAMismatch) {
  pf::test::TrainTempDir dir;
  torch::manual_seed(10);
  NetworkDConfig nd;
  nd.type = "dunet";
  nd.num_feat = 8;
  auto d = build_discriminator(nd);
  pf::models::PthOptions pth;
  pth.key = "params";
  pf::models::write_checkpoint(dir / "net_d.pth", pf::models::module_state(*d.ptr()), {}, pth);
  std::string y = gan_config(kCompactSmall, 2);
  y.insert(y.find("train:\n  total_iter"),
           "path:\n  pretrain_network_d: " + (dir / "net_d.pth") + "\n");
  const auto r = run_training(pf::test::parse_config(y), synthetic(16, 2), options(dir));
  EXPECT_EQ(r.last_iteration, 2);
  // Another discriminator's file is named in the error.
  std::string other = y;
  other.replace(other.find("type: dunet"), 11, "type: unetdiscriminatorsn");
  try {
    run_training(pf::test::parse_config(other), synthetic(16, 2), options(dir));
    FAIL();
  } catch (const pf::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit network_d (strict_load_d: true)"),
              std::string::npos)
        << e.what();
  }
}

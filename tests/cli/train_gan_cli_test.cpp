// traiNNer-redux's Compact and SPAN_S GAN templates through `pairforge train`, the files
// unchanged but for the dataset paths: the VGG19 weights where traiNNer-redux keeps them
// (random ones: nobody here has torchvision's), the Compact one after a fidelity pretrain at the
// template's pretrain_network_g, and the clear message when the VGG19 file is missing.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_util.h"
#include "models/checkpoint.h"
#include "train_cli_util.h"
#include "vgg_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

// The templates' validation lists hr2 / lr2 folders too (validation is off in them).
void add_second_val_folder(const test::TempDir& dir) {
  for (const char* d : {"val_hr", "val_lr"})
    fs::copy(dir / (std::string("data/") + d), dir / (std::string("data/") + d + "2"));
}

const std::string kTiny =
    " --set datasets.train.lq_size=16 --set datasets.train.batch_size_per_gpu=2"
    " --set manual_seed=4 --set logger.print_freq=1 --threads 1 --loader-threads 1 --no-progress";

}  // namespace

TEST(TrainGanCli, TraiNNerReduxsGanTemplatesRunWithOnlyTheirPathsChanged) {
  test::TempDir dir;
  test::make_train_dataset(dir, 4);
  add_second_val_folder(dir);
  fs::create_directories(dir / "experiments/pretrained_models");

  // Without the VGG19 file the perceptual loss says what to supply, before any training.
  const std::string compact =
      test::template_with_paths(dir, "trainner_compact_gan.yml", "Compact_gan.yml");
  auto r = test::run_pairforge("train -c " + compact + kTiny, dir.path());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("vgg19-dcbb9e9d.pth"), std::string::npos) << r.output;
  test::write_random_vgg19(dir / "experiments/pretrained_models/vgg19-dcbb9e9d.pth", 7);

  // The fidelity pretrain the GAN template starts from (its pretrain_network_g).
  r = test::run_pairforge("train -c " + test::template_with_paths(dir) + kTiny +
                              " --set train.total_iter=2 --set logger.save_checkpoint_format=pth"
                              " --experiments fidelity",
                          dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  fs::copy_file(dir / "fidelity/4x_Compact/models/net_g_ema_2.pth",
                dir / "experiments/pretrained_models/pretrain.pth");

  r = test::run_pairforge("train -c " + compact + kTiny + " --set train.total_iter=2", dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  // (Named as resolved: the template's relative path, found from the working directory.)
  EXPECT_NE(r.output.find("experiments/pretrained_models/pretrain.pth: 53 weights loaded"),
            std::string::npos)
      << r.output;
  // Its weight-0 losses are left out, and its topiq metric is skipped (validation is off).
  for (const char* l : {"distsloss", "ldlloss", "ffloss", "cosimloss", "fliploss", "sobeledgeloss"})
    EXPECT_NE(r.output.find(std::string("loss ") + l + " has loss_weight 0 and is disabled"),
              std::string::npos)
        << l;
  EXPECT_NE(r.output.find("val.metrics.topiq is skipped"), std::string::npos);
  for (const char* logged : {"ganloss", "perceptualloss", "mssimloss", "l_d_real", "l_d_fake"})
    EXPECT_NE(r.output.find(logged), std::string::npos) << logged;
  for (const char* f : {"net_g_2.safetensors", "net_g_ema_2.safetensors", "net_d_2.safetensors"})
    EXPECT_TRUE(fs::exists(dir / ("experiments/4x_Compact/models/" + std::string(f)))) << f;
  // The discriminator is traiNNer-redux's default dunet, in its key names.
  const auto d = models::read_checkpoint(dir / "experiments/4x_Compact/models/net_d_2.safetensors");
  EXPECT_EQ(d.metadata.at("network_d"), "dunet");

  // SPAN_S's template, from scratch (its pretrain file is Compact's here).
  const std::string span =
      test::template_with_paths(dir, "trainner_span_s_gan.yml", "SPAN_S_gan.yml");
  r = test::run_pairforge(
      "train -c " + span + kTiny + " --set train.total_iter=2 --set path.pretrain_network_g=~",
      dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "experiments/4x_SPAN_S/models/net_d_2.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "experiments/4x_SPAN_S/training_states/2.state"));
}

}  // namespace pf

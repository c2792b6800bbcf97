// `pairforge lbo fit` end to end: a frame folder and a shipped x2 model in, the search sheet,
// the LBO files and a training state out; the files then drive an `lbo` step of
// `pairforge degrade`; config errors name the file, line and column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_util.h"
#include "models/fixtures.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

using Result = test::CliResult;

const char* const kBasicOp = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";

// Skips the test when this build has no LibTorch (no `lbo` command).
bool has_lbo() {
  return test::run_pairforge("lbo fit --keys").code == 0;
}

std::string write_config(const test::TempDir& dir, const std::string& extra = "") {
  fs::create_directories(dir / "clip");
  for (int i = 0; i < 3; ++i)
    test::write_png(dir / ("clip/f" + std::to_string(i) + ".png"),
                    test::textured_image(96, 64, static_cast<uint64_t>(10 + i)));
  // Any x2 model pairforge loads serves as the basic-op model here: the numbers do not matter.
  const std::string basic_op = test::fixture(kBasicOp);
  std::ofstream(dir / "fit.yml") << "name: clip\ninput: clip\nbasic_op: " << basic_op << R"(
output: ops/clip_lbo
manual_seed: 2
search: {factor_min: 0.5, step: 0.25, patches: 3, patch_size: 24, context: 8}
network: {num_feat: 8}
train: {total_iter: 6, gt_size: 32, batch_size: 2, num_worker: 1, print_freq: 3,
        save_checkpoint_freq: 3}
)" << extra;
  return "fit.yml";
}

}  // namespace

TEST(LboCli, FitWritesTheSheetAndOperatorThatDegradeThenUses) {
  if (!has_lbo()) GTEST_SKIP() << "built without LibTorch";
  PF_REQUIRE_FIXTURE(kBasicOp);
  test::TempDir dir;
  fs::create_directories(dir / "ops");
  const Result r = test::run_pairforge(
      "lbo fit -c " + write_config(dir) + " --threads 1 --no-progress", dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("rescaling factor: "), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "experiments/clip/search.png"));
  EXPECT_TRUE(fs::exists(dir / "experiments/clip/search.json"));
  EXPECT_TRUE(fs::exists(dir / "experiments/clip/train/training_states/6.state"));
  ASSERT_TRUE(fs::exists(dir / "ops/clip_lbo.safetensors"));
  ASSERT_TRUE(fs::exists(dir / "ops/clip_lbo.pth"));

  std::ofstream(dir / "ops/degrade.yml") << R"(scale: 2
pipeline:
  - lbo: {weights: [clip_lbo.safetensors, clip_lbo.pth], device: cpu}
  - resize: {scale: 0.5}
)";
  const Result d =
      test::run_pairforge("degrade -c ops/degrade.yml -i clip -o pairs --seed 4", dir.path());
  ASSERT_EQ(d.code, 0) << d.output;
  const std::string manifest = test::read_file(dir / "pairs/manifest.jsonl");
  EXPECT_NE(manifest.find("\"op\":\"lbo\""), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find("\"op\":\"resize\""), std::string::npos)
      << "the resize after a firing lbo is skipped";
  const Result ops = test::run_pairforge("ops lbo");
  EXPECT_NE(ops.output.find("weights"), std::string::npos) << ops.output;
}

TEST(LboCli, ConfigErrorsNameTheFileLineAndColumn) {
  if (!has_lbo()) GTEST_SKIP() << "built without LibTorch";
  test::TempDir dir;
  const Result r =
      test::run_pairforge("lbo fit -c " + write_config(dir, "serch: {}\n"), dir.path());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("fit.yml:10:1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'search'"), std::string::npos) << r.output;
}

}  // namespace pf

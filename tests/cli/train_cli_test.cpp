// `pairforge train` and `pairforge plot` end to end: a traiNNer-redux template with only its
// dataset paths changed, a kill -9 in the middle and --resume auto, config errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_util.h"
#include "test_util.h"
#include "train_cli_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

using Result = test::CliResult;

Result run(const std::string& args, const std::string& cwd) {
  return test::run_pairforge(args, cwd);
}

const std::string& kSmall = test::kSmallTraining;

}  // namespace

TEST(TrainCli, ATraiNNerReduxTemplateRunsWithOnlyItsPathsChanged) {
  test::TempDir dir;
  test::make_train_dataset(dir, 4);
  const std::string cfg = test::template_with_paths(dir);
  const Result r = run("train -c " + cfg + kSmall +
                           " --set train.total_iter=20 --set logger.save_checkpoint_freq=10"
                           " --set val.val_enabled=true --set val.val_freq=10",
                       dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string run_dir = dir / "experiments/4x_Compact";
  for (const char* f :
       {"models/net_g_20.safetensors", "models/net_g_ema_20.safetensors",
        "training_states/20.state", "training_states/10.state", "config_resolved.yml",
        "Compact_fidelity.yml", "train_log.jsonl", "visualization/f4/f4_20.png"})
    EXPECT_TRUE(fs::exists(fs::path(run_dir) / f)) << f;
  // The no-effect keys of the template get one warning each; AMP on the CPU one too.
  for (const char* key : {"use_compile", "fast_matmul", "compile_mode", "use_tb_logger"})
    EXPECT_NE(r.output.find(std::string(key) + " has no effect"), std::string::npos) << key;
  EXPECT_NE(r.output.find("use_amp: mixed precision runs on CUDA only"), std::string::npos);
  EXPECT_NE(r.output.find("validation psnr at iteration 20"), std::string::npos) << r.output;

  // The model loads in the inference commands unchanged.
  const Result up = run("inspect " + run_dir + "/models/net_g_ema_20.safetensors", dir.path());
  EXPECT_EQ(up.code, 0) << up.output;
  EXPECT_NE(up.output.find("Compact"), std::string::npos) << up.output;

  const Result plot = run("plot " + run_dir + " -o " + (dir / "curves.png"), dir.path());
  ASSERT_EQ(plot.code, 0) << plot.output;
  const cv::Mat png = io::read_image(dir / "curves.png").rgb;
  EXPECT_EQ(png.cols, 1200);
  EXPECT_EQ(png.rows, 900);
}

TEST(TrainCli, KillNineThenResumeEndsWithTheUninterruptedWeights) {
  test::TempDir dir;
  test::make_train_dataset(dir, 4);
  const std::string cfg = test::template_with_paths(dir);
  const std::string args = " --set train.total_iter=40 --set logger.save_checkpoint_freq=5";
  ASSERT_EQ(run("train -c " + cfg + kSmall + args + " --experiments straight", dir.path()).code, 0);

  // Start a run and kill -9 it once its second state is on disk.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);  // its own process group, so one kill reaches the shell and pairforge
    ::chdir(dir.path().c_str());
    ::execl("/bin/sh", "sh", "-c",
            (std::string(PAIRFORGE_BINARY) + " train -c " + cfg + kSmall + args +
             " --experiments killed > /dev/null 2>&1")
                .c_str(),
            nullptr);
    ::_exit(127);
  }
  const std::string states = dir / "killed/4x_Compact/training_states";
  for (int i = 0; i < 600 && !fs::exists(fs::path(states) / "10.state"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  // pairforge may be the shell's child rather than the shell itself: wait until the group is gone.
  for (int i = 0; i < 200 && ::kill(-pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(fs::path(states) / "10.state"));
  EXPECT_FALSE(fs::exists(fs::path(states) / "40.state"));

  const Result resumed =
      run("train -c " + cfg + kSmall + args + " --experiments killed --resume auto", dir.path());
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos);
  for (const char* f : {"net_g_40.safetensors", "net_g_ema_40.safetensors"})
    EXPECT_EQ(test::read_file(dir / ("straight/4x_Compact/models/" + std::string(f))),
              test::read_file(dir / ("killed/4x_Compact/models/" + std::string(f))))
        << f;
  for (const auto& e : fs::recursive_directory_iterator(dir / "killed"))
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(TrainCli, ConfigErrorsExitThreeWithTheLineAndColumn) {
  test::TempDir dir;
  test::make_train_dataset(dir, 4);
  std::string t = test::read_file(test::template_with_paths(dir));
  t.replace(t.find("ema_power"), 9, "ema_pwoer");
  std::ofstream(dir / "bad.yml") << t;
  const Result r = run("train -c bad.yml", dir.path());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.output.find("bad.yml:57:3: unknown key 'ema_pwoer' in train (did you mean "
                          "'ema_power'?)"),
            std::string::npos)
      << r.output;
  const Result missing = run("train -c " + test::template_with_paths(dir) +
                                 " '--set=datasets.train.dataroot_lq=[nowhere, nowhere2]'",
                             dir.path());
  EXPECT_EQ(missing.code, 4) << missing.output;
  EXPECT_NE(missing.output.find("nowhere"), std::string::npos);
}

}  // namespace pf

namespace pf {

TEST(TrainCli, TheKeyReferenceInTheReadmeIsCurrent) {
  test::TempDir dir;
  const Result keys = run("train --keys", dir.path());
  ASSERT_EQ(keys.code, 0);
  const std::string readme =
      test::read_file(std::string(PAIRFORGE_SOURCE_DIR) + "/configs/train/README.md");
  const auto a = readme.find("<!-- keys:begin -->\n"), b = readme.find("<!-- keys:end -->");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  const std::string section = readme.substr(a + 20, b - a - 20);
  EXPECT_EQ(section, keys.output)
      << "configs/train/README.md is stale: paste `pairforge train --keys` between the markers";
  for (const char* key : {"`lq_size`", "`ema_power`", "`consistency_loss`", "`dataroot_lq_prob`",
                          "`save_checkpoint_format`", "`type: span_s`"})
    EXPECT_NE(section.find(key), std::string::npos) << key;
}

}  // namespace pf

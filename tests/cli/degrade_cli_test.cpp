// The pairforge binary end to end: help, ops reference, exit codes, SIGINT + resume.
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

namespace fs = std::filesystem;

namespace pf {
namespace {

using Result = test::CliResult;

Result run_cli(const std::string& args) {
  return test::run_pairforge(args);
}

void make_inputs(const test::TempDir& dir, int n, int size) {
  fs::create_directories(dir / "in");
  for (int i = 0; i < n; ++i)
    test::write_png(dir / ("in/f" + std::to_string(i) + ".png"),
                    test::textured_image(size, size, static_cast<uint64_t>(i)));
}

void write_config(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(Cli, HelpAndOpsReference) {
  const Result help = run_cli("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("degrade"), std::string::npos);
  const Result ops = run_cli("ops blur");
  EXPECT_EQ(ops.code, 0);
  EXPECT_NE(ops.output.find("sigma_x"), std::string::npos);
  EXPECT_NE(ops.output.find("[0.05, 20]"), std::string::npos);
  EXPECT_EQ(run_cli("ops nosuchop").code, 3);
}

TEST(Cli, ConfigErrorExitCodeAndMessage) {
  test::TempDir dir;
  make_inputs(dir, 1, 16);
  write_config(dir / "bad.yml", "pipeline:\n  - blur: {sigmax: 1}\n");
  const Result r =
      run_cli("degrade -c " + dir / "bad.yml" + " -i " + dir / "in" + " -o " + dir / "out");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.output.find("bad.yml:2:12"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'sigma_x'"), std::string::npos) << r.output;
}

TEST(Cli, MissingInputAndCorruptImage) {
  test::TempDir dir;
  write_config(dir / "c.yml", "pipeline: []\n");
  EXPECT_EQ(run_cli("degrade -c " + dir / "c.yml" + " -i " + dir / "nope -o " + dir / "out").code,
            4);
  make_inputs(dir, 2, 16);
  std::ofstream(dir / "in/broken.png") << "\x89PNG garbage";
  const Result r = run_cli("degrade -c " + dir / "c.yml" + " -i " + dir / "in -o " + dir / "out");
  EXPECT_EQ(r.code, 7) << r.output;
  EXPECT_NE(r.output.find("broken.png"), std::string::npos);
  EXPECT_NE(r.output.find("wrote 2 pairs"), std::string::npos) << r.output;
}

// Kills a real run with SIGINT part-way, resumes it, and compares with an uninterrupted run.
TEST(Cli, InterruptedRunResumesToIdenticalOutput) {
  test::TempDir dir;
  make_inputs(dir, 24, 96);
  write_config(dir / "c.yml",
               "pipeline:\n  - blur: {kernel: sinc, size: 21, cutoff: [0.5, 2]}\n"
               "  - repeat: {times: 6, steps: [{blur: {kernel: generalized_aniso, size: 21, "
               "sigma_x: [0.5, 3], sigma_y: [0.5, 3], beta: [0.5, 2], rotation: [-90, 90]}}]}\n");
  const std::string common = "degrade -c " + dir / "c.yml" + " -i " + dir / "in --threads 1 -o ";
  ASSERT_EQ(run_cli(common + dir / "full").code, 0);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string out = dir / "part";
    ::execl(PAIRFORGE_BINARY, PAIRFORGE_BINARY, "degrade", "-c", (dir / "c.yml").c_str(), "-i",
            (dir / "in").c_str(), "--threads", "1", "-o", out.c_str(), "--no-progress",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for the first finished pair, then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(fs::path(dir / "part/meta/f0.json")) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  size_t done = 0;
  for (const auto& e : fs::directory_iterator(dir / "part/meta")) done += e.is_regular_file();
  if (code == 130)
    EXPECT_LT(done, 24u);  // (a fast machine may finish before the signal lands)
  else
    EXPECT_EQ(code, 0);

  const Result resumed = run_cli(common + dir / "part");
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(std::to_string(done) + " already done"), std::string::npos)
      << resumed.output;
  for (const char* sub : {"hq", "lq"})
    for (const auto& e : fs::directory_iterator(fs::path(dir / "full") / sub)) {
      const fs::path other = fs::path(dir / "part") / sub / e.path().filename();
      EXPECT_EQ(test::read_file(e.path().string()), test::read_file(other.string())) << other;
    }
  EXPECT_EQ(test::read_file(dir / "full/manifest.jsonl").size(),
            test::read_file(dir / "part/manifest.jsonl").size());
}

}  // namespace
}  // namespace pf

// Data-parallel `pairforge train` end to end on 127.0.0.1: two CPU workers over Gloo take the
// steps one worker takes with the doubled batch, a resume may change the worker count, and a
// worker that dies or hangs ends the other with an error in bounded time instead of a hang.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "cli_util.h"
#include "free_port.h"
#include "models/checkpoint.h"
#include "train_cli_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

using Clock = std::chrono::steady_clock;

// The largest difference between two model files' weights, relative to the largest weight.
double relative_difference(const std::string& a_path, const std::string& b_path) {
  const auto a = models::read_checkpoint(a_path), b = models::read_checkpoint(b_path);
  EXPECT_EQ(a.tensors.size(), b.tensors.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.tensors.size() && i < b.tensors.size(); ++i) {
    const auto& ta = a.tensors[i].second;
    const auto& tb = b.tensors[i].second;
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    EXPECT_EQ(ta.bytes.size(), tb.bytes.size());
    if (ta.dtype != models::DType::kF32 || ta.bytes.size() != tb.bytes.size()) continue;
    const size_t n = ta.bytes.size() / 4;
    for (size_t k = 0; k < n; ++k) {
      float x = 0, y = 0;
      std::memcpy(&x, ta.bytes.data() + 4 * k, 4);
      std::memcpy(&y, tb.bytes.data() + 4 * k, 4);
      diff = std::max(diff, static_cast<double>(std::abs(x - y)));
      scale = std::max(scale, static_cast<double>(std::abs(x)));
    }
  }
  return scale > 0 ? diff / scale : diff;
}

// One worker started as torchrun starts it (its variables), output to `log`.
pid_t start_worker(int rank, int port, const std::string& args, const std::string& cwd,
                   const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::chdir(cwd.c_str());
    const std::string cmd = "RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
                            " WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                            std::to_string(port) + " exec " + PAIRFORGE_BINARY + " " + args +
                            " > '" + log + "' 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` until `deadline`; the exit status, or nullopt when it is still running.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

}  // namespace

TEST(TrainDistCli, TwoWorkersTakeTheStepsOfOneWithTheDoubledBatchAndResumeWithEither) {
  test::TempDir dir;
  test::make_train_dataset(dir, 4);
  const std::string cfg = test::template_with_paths(dir);
  const std::string base = "train -c " + cfg + test::kSmallTraining +
                           " --set logger.save_checkpoint_freq=3 --set train.total_iter=";
  const auto half_batch = " --set datasets.train.batch_size_per_gpu=2 --nproc 2";
  // One worker, batch 4, 6 iterations.
  auto r = test::run_pairforge(base + "6 --experiments one", dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  // Two workers with batch 2 each.
  r = test::run_pairforge(base + "6 --experiments two" + half_batch, dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("data-parallel: 2 workers over gloo (--nproc), batch 2 per worker, 4 "
                          "in all"),
            std::string::npos)
      << r.output;
  // Rank 0 alone logs: one line per logged iteration.
  size_t lines = 0;
  for (size_t at = 0; (at = r.output.find("iter       5/6", at)) != std::string::npos; ++at)
    ++lines;
  EXPECT_EQ(lines, 1u) << r.output;
  // Two workers for the first 3 iterations, then one resumes (with the whole batch).
  r = test::run_pairforge(base + "3 --experiments mixed" + half_batch, dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  r = test::run_pairforge(base + "6 --experiments mixed --resume auto", dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  // And one worker's state continued by two.
  r = test::run_pairforge(base + "3 --experiments split", dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  r = test::run_pairforge(base + "6 --experiments split --resume auto" + half_batch, dir.path());
  ASSERT_EQ(r.code, 0) << r.output;

  // Summing the two halves' gradients in another order than one batch does differs in the last
  // bits only; after 6 Adam steps the weights agree to float precision.
  for (const char* f : {"net_g_6.safetensors", "net_g_ema_6.safetensors"}) {
    const std::string one = dir / ("one/4x_Compact/models/" + std::string(f));
    for (const char* other : {"two", "mixed", "split"})
      EXPECT_LT(relative_difference(one, dir / (std::string(other) + "/4x_Compact/models/" + f)),
                1e-5)
          << other << " " << f;
  }
  // The training state is complete too (a resume of the two-worker run reads it).
  EXPECT_TRUE(fs::exists(dir / "two/4x_Compact/training_states/6.state"));
}

TEST(TrainDistCli, AWorkerThatDiesOrHangsEndsTheOtherWithAnErrorNotAHang) {
  test::TempDir dir;
  test::make_train_dataset(dir, 4);
  const std::string cfg = test::template_with_paths(dir);
  struct Case {
    int victim;
    int signal;
    const char* name;
  };
  for (const Case c :
       {Case{1, SIGKILL, "kill1"}, Case{0, SIGKILL, "kill0"}, Case{1, SIGSTOP, "stop1"}}) {
    SCOPED_TRACE(c.name);
    const int port = test::free_port();
    // A long run; the hung case relies on the collectives' timeout (--dist-timeout 5).
    const std::string args = "train -c " + cfg + test::kSmallTraining +
                             " --set train.total_iter=100000 --set logger.save_checkpoint_freq=5"
                             " --dist-timeout 5 --experiments " +
                             c.name;
    pid_t pids[2];
    for (int rank = 0; rank < 2; ++rank)
      pids[rank] = start_worker(rank, port, args, dir.path(),
                                dir / (std::string(c.name) + "_" + std::to_string(rank) + ".log"));
    // Both are training once rank 0 has written its first state.
    const std::string first_state =
        dir / (std::string(c.name) + "/4x_Compact/training_states/5.state");
    const auto started = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < started && !fs::exists(first_state))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(fs::exists(first_state)) << test::read_file(dir / (std::string(c.name) + "_0.log"));

    ::kill(pids[c.victim], c.signal);
    const int survivor = 1 - c.victim;
    const auto status = wait_until(pids[survivor], Clock::now() + std::chrono::seconds(60));
    if (!status) ::kill(pids[survivor], SIGKILL);
    ::kill(pids[c.victim], SIGKILL);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
    ASSERT_TRUE(status.has_value()) << "worker " << survivor << " still ran 60 s later";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
    const std::string log =
        test::read_file(dir / (std::string(c.name) + "_" + std::to_string(survivor) + ".log"));
    EXPECT_NE(log.find("worker " + std::to_string(survivor) + " of 2 lost contact with the others"),
              std::string::npos)
        << log;
  }
}

}  // namespace pf

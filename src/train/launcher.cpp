#include "train/launcher.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "train/distributed.h"

extern char** environ;

namespace pf::train {

namespace {

std::string self_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Error("--nproc: cannot find this program's path (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

// posix_spawn (not fork + setenv: the parent runs the store's thread) with this process's
// environment plus the worker's variables.
pid_t spawn_worker(const std::string& exe, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& vars) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    if (!vars.count(kv.substr(0, kv.find('=')))) env.push_back(kv);
  }
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe_arg = exe;
  argv.push_back(exe_arg.data());
  std::vector<std::string> copy = args;
  for (auto& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0) throw Error(fmt::format("--nproc: cannot start a worker: {}", std::strerror(rc)));
  return pid;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "ended";
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int launch_local_workers(const LaunchOptions& o) {
  const std::string exe = self_executable();
  StoreHost store(o.master_addr, o.master_port, o.nproc, o.timeout);
  spdlog::info("--nproc {}: starting {} workers, rendezvous at {}:{}", o.nproc, o.nproc,
               o.master_addr, store.port());
  std::map<pid_t, int> running;  // pid -> rank
  for (int r = 0; r < o.nproc; ++r) {
    const std::map<std::string, std::string> vars = {{"RANK", std::to_string(r)},
                                                     {"LOCAL_RANK", std::to_string(r)},
                                                     {"WORLD_SIZE", std::to_string(o.nproc)},
                                                     {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
                                                     {"MASTER_ADDR", o.master_addr},
                                                     {"MASTER_PORT", std::to_string(store.port())},
                                                     {"PAIRFORGE_AGENT_STORE", "1"}};
    running[spawn_worker(exe, o.args, vars)] = r;
  }

  int first_failure = -1, result = 0;
  bool all_interrupted = true, forwarded = false;
  std::chrono::steady_clock::time_point kill_at{};
  const auto signal_all = [&](int sig) {
    for (const auto& kv : running) ::kill(kv.first, sig);
  };
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      const int rank = running[pid];
      running.erase(pid);
      const int code = exit_code(status);
      if (code != 130) all_interrupted = false;
      if (code != 0 && code != 130 && first_failure < 0) {
        first_failure = rank;
        result = code;
        spdlog::error("--nproc: worker {} {}; stopping the other workers", rank, describe(status));
        signal_all(SIGTERM);
        kill_at = std::chrono::steady_clock::now() + o.grace;
      }
      continue;
    }
    if (interrupted() && !forwarded) {
      // Ctrl-C in a terminal reaches the workers too; a SIGTERM to the parent alone must.
      forwarded = true;
      signal_all(SIGTERM);
    }
    if (first_failure >= 0 && std::chrono::steady_clock::now() >= kill_at && !running.empty()) {
      for (const auto& kv : running)
        spdlog::error("--nproc: worker {} did not stop within {} s of SIGTERM: killing it",
                      kv.second, std::chrono::duration_cast<std::chrono::seconds>(o.grace).count());
      signal_all(SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (first_failure >= 0) return result;
  return all_interrupted ? 130 : 0;
}

}  // namespace pf::train

// `pairforge train --nproc N`: starts N local workers of the same command line, as
// `torchrun --nproc-per-node N` does. The parent hosts the rendezvous store on a free port
// (or MASTER_PORT), gives each worker torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and watches them: when one ends with an error or
// is killed, the others get SIGTERM, then SIGKILL after `grace`, and the parent reports which
// worker failed first and exits with its code. SIGINT / SIGTERM to the parent reach every
// worker, which stop together after saving a state.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace pf::train {

struct LaunchOptions {
  int nproc = 1;
  std::vector<std::string> args;  // the workers' arguments (argv[1...]), without --nproc
  std::string master_addr = "127.0.0.1";
  int master_port = 0;                                          // 0: a free port
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};  // of the rendezvous
  std::chrono::milliseconds grace{std::chrono::seconds(10)};    // SIGTERM to SIGKILL
};

// Runs the workers to their end. Returns 0 when all succeeded, 130 when all were interrupted,
// else the exit code of the first that failed (128 + signal for a killed one).
int launch_local_workers(const LaunchOptions& options);

}  // namespace pf::train

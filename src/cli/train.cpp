// `pairforge train -c CONFIG.yml`: trains Compact / SPAN from a traiNNer-redux config, in one
// process, as one of torchrun's / srun's workers, or starting --nproc local workers itself.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "train/config.h"
#include "train/data/datasets.h"
#include "train/distributed.h"
#include "train/launcher.h"
#include "train/memory_estimate.h"
#include "train/trainer.h"

namespace pf::cli {
namespace {

struct TrainArgs {
  std::string config, resume, experiments = "experiments", device = "auto";
  std::vector<std::string> sets;
  int threads = 0, loader_threads = 0, nproc = 0, dist_timeout = 1800;
  bool no_progress = false, keys = false, check = false;
};

// The same command line for each worker, without --nproc.
std::vector<std::string> worker_args(const TrainArgs& a) {
  std::vector<std::string> v = {"train",
                                "-c",
                                a.config,
                                "--experiments",
                                a.experiments,
                                "--device",
                                a.device,
                                "--dist-timeout",
                                std::to_string(a.dist_timeout)};
  for (const auto& s : a.sets) v.insert(v.end(), {"--set", s});
  if (!a.resume.empty()) v.insert(v.end(), {"--resume", a.resume});
  if (a.threads) v.insert(v.end(), {"--threads", std::to_string(a.threads)});
  if (a.loader_threads) v.insert(v.end(), {"--loader-threads", std::to_string(a.loader_threads)});
  if (a.no_progress) v.push_back("--no-progress");
  return v;
}

// How many local workers to start: --nproc, else num_gpu (auto: every visible GPU) when the
// run goes to CUDA; 1 on the CPU unless --nproc says otherwise.
int local_workers(const TrainArgs& a, const train::TrainConfig& c) {
  if (a.nproc > 0) return a.nproc;
  const bool cuda_ok = a.device == "auto" || a.device == "cuda";
  const int gpus =
      cuda_ok && torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  if (c.num_gpu == "auto") return std::max(1, gpus);
  const int want = std::stoi(c.num_gpu);
  if (want > 1 && want > gpus)
    throw ConfigError(fmt::format("{}: num_gpu: {} but {} GPU(s) are visible{}", c.file, want, gpus,
                                  cuda_ok ? "" : " to --device " + a.device));
  return std::max(1, want);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void run_train(const TrainArgs& a) {
  if (a.keys) {
    fmt::print("{}", train::config_reference_markdown());
    return;
  }
  if (a.config.empty()) throw Error("train needs -c CONFIG.yml", ExitCode::kUsage);
  train::TrainConfig config = train::TrainConfig::load(a.config, a.sets);
  const train::DistEnv env = train::DistEnv::from_environment();
  const int nproc = env.enabled() ? 1 : local_workers(a, config);
  if (env.enabled() && a.nproc > 1)
    throw Error("--nproc starts its own workers; this process is already one of " +
                    std::to_string(env.world_size) + " (RANK / WORLD_SIZE are set)",
                ExitCode::kUsage);
  if (env.enabled()) {
    // Rank 0 speaks for the run (its warnings are everyone's: same config, same code); the
    // others only report errors, marked with their rank.
    spdlog::set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S.%e] [rank {}] [%^%l%$] %v", env.rank));
    if (env.rank != 0) spdlog::set_level(spdlog::level::err);
  }
  train::Warnings warnings = config.warnings;
  for (const auto& w : warnings) spdlog::warn("{}", w);
  warnings.clear();
  // Everything a run reads is checked before anything starts: the files and folders the config
  // names, the data (image sizes against the crop), the memory a step needs, then (--check) the
  // pretrains and loss weights.
  config.check_inputs();
  if (nproc > 1 && !a.check) {
    train::LaunchOptions lo;
    lo.nproc = nproc;
    lo.args = worker_args(a);
    if (const char* addr = std::getenv("MASTER_ADDR")) lo.master_addr = addr;
    if (const char* port = std::getenv("MASTER_PORT")) lo.master_port = std::atoi(port);
    lo.timeout = std::chrono::seconds(a.dist_timeout);
    install_interrupt_handler();
    exit_code_storage() = train::launch_local_workers(lo);
    return;
  }
  train::TrainData data = train::make_train_data(config, warnings);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    int lt = a.loader_threads > 0 ? a.loader_threads
                                  : static_cast<int>(config.train_sets[0].num_worker_per_gpu);
    if (lt <= 0 || lt > cores) lt = cores;
    const bool cuda = (a.device == "auto" || a.device.rfind("cuda", 0) == 0) &&
                      config.num_gpu != "0" && torch::cuda::is_available();
    train::check_memory(config, lt, !cuda, train::host_memory_limit());
  }
  if (a.check) {
    const auto loaded = train::check_models(config);
    fmt::print("{}: config and data are fine.\ntrain data: {}\nvalidation pairs: {}\n", a.config,
               data.describe, data.val.size());
    for (const auto& l : loaded) fmt::print("{}\n", l);
    for (const auto& d : config.train_sets) {
      const std::string otf = train::otf_degradation_yaml(config, d);
      if (!otf.empty() && d.type == "realesrgandataset")
        fmt::print("\ndatasets.{} degrades on the fly with this engine pipeline:\n{}\n", d.key,
                   otf);
    }
    return;
  }
  train::TrainerOptions o;
  o.experiments_root = a.experiments;
  o.resume = a.resume;
  o.device = a.device;
  o.threads = a.threads;
  o.loader_threads = a.loader_threads;
  std::unique_ptr<train::Distributed> dist;
  if (env.enabled()) {
    // One GPU per worker, or the CPU; the cores shared by the local workers. LOCAL_RANK picks
    // the GPU among the visible ones (modulo their count: under `srun --gpus-per-task=1` each
    // worker sees its own GPU alone, as device 0).
    const bool want_cuda = (a.device == "auto" || a.device == "cuda") && config.num_gpu != "0";
    const size_t gpus = want_cuda && torch::cuda::is_available() ? torch::cuda::device_count() : 0;
    if (a.device == "cuda" && gpus == 0)
      throw Error("--device cuda: no CUDA device is visible to worker " + std::to_string(env.rank));
    if (a.device == "auto" || a.device == "cuda")
      o.device =
          gpus > 0 ? "cuda:" + std::to_string(static_cast<size_t>(env.local_rank) % gpus) : "cpu";
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int share = std::max(1, cores / env.local_world_size);
    if (o.threads == 0) o.threads = share;
    if (o.loader_threads == 0)
      o.loader_threads =
          std::min<int>(share, config.train_sets[0].num_worker_per_gpu > 0
                                   ? static_cast<int>(config.train_sets[0].num_worker_per_gpu)
                                   : share);
    dist = std::make_unique<train::Distributed>(env, torch::Device(o.device),
                                                std::chrono::seconds(a.dist_timeout));
    o.dist = dist.get();
  }
  o.progress_bar = !a.no_progress && Progress::stderr_is_tty();
  o.config_text = read_text(a.config);
  install_interrupt_handler();
  const train::TrainResult r = train::run_training(std::move(config), std::move(data), o);
  for (const auto& f : r.model_files) fmt::print("model: {}\n", f);
  if (!r.last_state.empty()) fmt::print("training state: {}\n", r.last_state);
  if (!r.validations.empty()) {
    const auto& v = r.validations.back();
    for (const auto& [k, value] : v.metrics)
      fmt::print("validation {} at iteration {}: {:.4f} (bicubic {:.4f})\n", k, v.iteration, value,
                 v.bicubic.count(k) ? v.bicubic.at(k) : 0.0);
  }
  if (r.interrupted) exit_code_storage() = static_cast<int>(ExitCode::kInterrupted);
}

}  // namespace

void register_train(CLI::App& app) {
  static TrainArgs a;
  auto* cmd = app.add_subcommand("train", torch_command_description("train"));
  cmd->add_option("-c,--config", a.config, "training config (traiNNer-redux format)");
  cmd->add_option("--resume", a.resume,
                  "auto: continue from the newest training state of the experiment; or a "
                  "training_states/N.state file");
  cmd->add_option("--set", a.sets, "override a key: --set train.total_iter=5000 (repeatable)");
  cmd->add_option("--experiments", a.experiments, "folder holding experiments/<name>/");
  cmd->add_option("--device", a.device, "auto, cpu, cuda or cuda:N");
  cmd->add_option("--threads", a.threads, "CPU threads for the network (default: all cores)");
  cmd->add_option("--loader-threads", a.loader_threads,
                  "loader threads (default: num_worker_per_gpu, at most the cores)");
  cmd->add_flag("--no-progress", a.no_progress, "log lines instead of a progress bar");
  cmd->add_option("--nproc", a.nproc,
                  "start N local data-parallel workers (default: num_gpu; auto = every visible "
                  "GPU, else 1); under torchrun or srun each process is one worker already")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--dist-timeout", a.dist_timeout,
                  "data-parallel: seconds a worker waits for the others (rendezvous and every "
                  "collective) before it stops with an error (default 1800, as torch)")
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("--check", a.check, "read the config and the data, then stop");
  cmd->add_flag("--keys", a.keys, "print the reference of every config key (Markdown)");
  cmd->footer(
      "Example: pairforge train -c configs/train/compact_2x.yml --set train.total_iter=20000\n"
      "         pairforge train -c configs/train/compact_2x.yml --nproc 2   # two workers\n"
      "Ctrl-C saves a training state; `--resume auto` continues from it.");
  cmd->callback([] { run_train(a); });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

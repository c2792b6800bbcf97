// `pairforge train -c CONFIG.yml`: trains Compact / SPAN from a traiNNer-redux config.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "train/config.h"
#include "train/data/datasets.h"
#include "train/trainer.h"

namespace pf::cli {
namespace {

struct TrainArgs {
  std::string config, resume, experiments = "experiments", device = "auto";
  std::vector<std::string> sets;
  int threads = 0, loader_threads = 0;
  bool no_progress = false, keys = false, check = false;
};

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
  train::Warnings warnings = config.warnings;
  for (const auto& w : warnings) spdlog::warn("{}", w);
  warnings.clear();
  train::TrainData data = train::make_train_data(config, warnings);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  if (a.check) {
    fmt::print("{}: config and data are fine.\ntrain data: {}\nvalidation pairs: {}\n", a.config,
               data.describe, data.val.size());
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
  cmd->add_flag("--check", a.check, "read the config and the data, then stop");
  cmd->add_flag("--keys", a.keys, "print the reference of every config key (Markdown)");
  cmd->footer(
      "Example: pairforge train -c configs/train/compact_2x.yml --set train.total_iter=20000\n"
      "Ctrl-C saves a training state; `--resume auto` continues from it.");
  cmd->callback([] { run_train(a); });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

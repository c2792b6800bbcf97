// `pairforge lbo fit -c configs/lbo/X.yml`: learns a degradation operator (AnimeSR's LBO) from a
// real low-quality video, for `lbo` steps of degradation configs.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/input_file.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "lbo/fit.h"
#include "lbo/fit_config.h"

namespace pf::cli {
namespace {

struct LboFitArgs {
  std::string config, resume, experiments = "experiments", device = "auto";
  std::vector<std::string> sets;
  double factor = 0;
  int threads = 0, loader_threads = 0;
  bool no_progress = false, keys = false, search_only = false;
};

void run_lbo_fit(const LboFitArgs& a) {
  if (a.keys) {
    fmt::print("{}", lbo::lbo_config_reference_markdown());
    return;
  }
  if (a.config.empty()) throw Error("lbo fit needs -c CONFIG.yml", ExitCode::kUsage);
  if (a.factor < 0 || a.factor > 1)
    throw Error(fmt::format("--factor {} is outside (0, 1]", a.factor), ExitCode::kUsage);
  const lbo::LboConfig config = lbo::LboConfig::load(a.config, a.sets);
  for (const auto& w : config.warnings) spdlog::warn("{}", w);
  lbo::FitOptions o;
  o.experiments_root = a.experiments;
  o.resume = a.resume;
  o.device = a.device;
  o.threads = a.threads;
  o.loader_threads = a.loader_threads;
  o.progress_bar = !a.no_progress && Progress::stderr_is_tty();
  o.search_only = a.search_only;
  o.factor = a.factor;
  o.config_text = read_file_capped(a.config, kMaxConfigBytes, "config");
  install_interrupt_handler();
  const lbo::FitResult r = lbo::run_lbo_fit(config, o);
  fmt::print("rescaling factor: {:.2f} (search ranked {:.2f} first; sheet: {})\n", r.factor,
             r.search.best, r.sheet);
  if (!r.safetensors.empty()) fmt::print("LBO: {}\nLBO: {}\n", r.safetensors, r.pth);
  if (!r.train.last_state.empty()) fmt::print("training state: {}\n", r.train.last_state);
  if (r.interrupted) exit_code_storage() = static_cast<int>(ExitCode::kInterrupted);
}

}  // namespace

void register_lbo(CLI::App& app) {
  static LboFitArgs a;
  auto* lbo = app.add_subcommand("lbo", torch_command_description("lbo"));
  lbo->require_subcommand(1);
  auto* fit = lbo->add_subcommand(
      "fit",
      "learn an operator from a real low-quality video: rescaling search, pseudo-HR frames, "
      "training");
  fit->add_option("-c,--config", a.config, "LBO config (configs/lbo/*.yml)");
  fit->add_option("--resume", a.resume,
                  "auto: continue the run in experiments/<name>/ (its frames and training "
                  "state)");
  fit->add_option("--set", a.sets, "override a key: --set train.total_iter=2000 (repeatable)");
  fit->add_option("--factor", a.factor,
                  "use this rescaling factor in (0, 1] whatever the search ranks first");
  fit->add_option("--experiments", a.experiments, "folder holding experiments/<name>/");
  fit->add_option("--device", a.device, "auto, cpu, cuda or cuda:N");
  fit->add_option("--threads", a.threads, "CPU threads for the networks (default: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  fit->add_option("--loader-threads", a.loader_threads,
                  "loader threads (default: train.num_worker, at most the cores)")
      ->check(CLI::Range(0, kMaxThreads));
  fit->add_flag("--search-only", a.search_only,
                "stop after the search (search.png, search.json): to check the factor first");
  fit->add_flag("--no-progress", a.no_progress, "log lines instead of progress bars");
  fit->add_flag("--keys", a.keys, "print the reference of every config key (Markdown)");
  fit->footer(
      "Example: pairforge lbo fit -c configs/lbo/demo.yml --search-only\n"
      "Writes experiments/<name>/search.png (the candidates, their scores and ranks), then\n"
      "<name>.safetensors and <name>.pth for `lbo: {weights: [...]}` steps. Ctrl-C saves a\n"
      "training state; `--resume auto` continues.");
  fit->callback([] { run_lbo_fit(a); });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

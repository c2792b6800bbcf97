// `pairforge report RUN_DIR`: the training run's page (src/pages/report_page.h), once or, with
// --watch, kept up to date while the run writes its log. Parsing and the watch loop only.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "pages/report_page.h"

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

struct ReportArgs {
  std::string run_dir, output;
  bool watch = false;
  double interval = 10;
};

void log_summary(const pages::ReportPage::Summary& s) {
  spdlog::info("report: {} train lines, {} validations, {} validation images, last iter {}",
               s.train_points, s.val_points, s.images, s.last_iter);
}

void run_report(const ReportArgs& a) {
  pages::ReportPage page(a.run_dir, a.output);
  log_summary(page.update());
  spdlog::info("page: file://{}", fs::absolute(page.index_path()).string());
  if (!a.watch) return;
  // Ctrl-C (or SIGTERM) is how a watch ends; the page written so far stays.
  install_interrupt_handler();
  spdlog::info("watching {} every {} s (Ctrl-C stops)", a.run_dir, a.interval);
  const auto tick = std::chrono::milliseconds(50);
  auto next = std::chrono::steady_clock::now();
  while (!interrupted()) {
    next += std::chrono::milliseconds(static_cast<int64_t>(a.interval * 1000));
    while (!interrupted() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(tick);
    if (!interrupted() && page.log_changed()) log_summary(page.update());
  }
}

}  // namespace

void register_report(CLI::App& app) {
  static ReportArgs a;
  auto* cmd = app.add_subcommand("report",
                                 "Write the page of a training run: curves and validation images");
  cmd->add_option("run_dir", a.run_dir,
                  "the run folder (experiments/<name>/, with train_log.jsonl)")
      ->required();
  cmd->add_option("-o,--output", a.output, "page folder (default: RUN_DIR/report)");
  cmd->add_flag("--watch", a.watch,
                "keep the page up to date while the run goes on (Ctrl-C stops)");
  cmd->add_option("--interval", a.interval, "seconds between checks of the log with --watch")
      ->check(CLI::Range(0.05, 3600.0));
  cmd->footer(
      "Example: pairforge report experiments/2x_compact --watch\n"
      "Open RUN_DIR/report/index.html: it re-reads its data.js every 5 s (index.html?refresh=S "
      "to change), so it follows a run that --watch (or another report run) updates.");
  cmd->callback([] { run_report(a); });
}

}  // namespace pf::cli

// `pairforge curate IN -o OUT`: score images or tiles (src/prep), keep the good ones, write them,
// scores.jsonl and a page. Parsing and file glue only; the flags of the thresholds come from the
// measures' table (prep/measure.h).
#include "prep/curate.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "pages/curate_page.h"
#include "prep/measure.h"

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

struct CurateArgs {
  prep::CurateOptions o;
  std::vector<double> thresholds = prep::default_thresholds();
  bool no_thresholds = false, no_dedup = false, no_progress = false, no_page = false;
};

void run_curate(CurateArgs& a) {
  a.o.thresholds = a.thresholds;
  a.o.use_thresholds = !a.no_thresholds;
  a.o.dedup = !a.no_dedup;
  a.o.progress = !a.no_progress && Progress::stderr_is_tty();
  if (a.no_page) a.o.thumb_size = 0;
  cv::setNumThreads(1);  // our threads are the parallelism; keeps `--threads N` honest
  install_interrupt_handler();
  const prep::CurateResult r = prep::curate(a.o);
  if (r.interrupted) exit_code_storage() = static_cast<int>(ExitCode::kInterrupted);
  if (r.interrupted && r.records.empty()) {
    spdlog::warn("interrupted while scoring: nothing written; run the same command again");
    return;
  }

  if (!a.no_page) {
    std::vector<pages::ScoreColumn> columns;
    const auto& table = prep::measures();
    for (size_t i = 0; i < table.size(); ++i) {
      const auto& m = table[i];
      std::string lim;
      if (a.o.use_thresholds && !std::isnan(a.thresholds[i]))
        lim = fmt::format("{} {:g}", m.direction == prep::Direction::kHigherIsBetter ? "≥" : "≤",
                          a.thresholds[i]);
      columns.push_back({m.name, m.help, lim});
    }
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& rec : r.records) rows.push_back(prep::to_json(rec));
    const std::string page = pages::write_curate_page(
        a.o.output, "curate " + fs::path(a.o.input).filename().string(), columns, rows);
    spdlog::info("curation page: file://{}", fs::absolute(page).string());
  }
  fmt::print("{} images, {} {} scored, {} kept{}{}\n", r.images, r.records.size(),
             a.o.tile > 0 ? "tiles" : "entries", r.kept,
             a.o.dry_run ? " (dry run: nothing written)" : fmt::format(", {} written", r.written),
             r.unreadable ? fmt::format(", {} unreadable", r.unreadable) : "");
  if (r.interrupted)
    spdlog::warn("interrupted: the images written are kept; run the same command again to resume");
  else if (r.unreadable)
    exit_code_storage() = static_cast<int>(ExitCode::kSomeFailed);
}

}  // namespace

void register_curate(CLI::App& app) {
  static CurateArgs a;
  auto* cmd = app.add_subcommand(
      "curate",
      "Score images or tiles (complexity, blockiness, sharpness, exposure, borders, "
      "duplicates) and keep the ones worth training on");
  cmd->add_option("input", a.o.input, "image folder (read recursively) or one image")->required();
  cmd->add_option("-o,--output", a.o.output,
                  "output folder: images/, scores.jsonl, kept.txt, index.html, thumbs/")
      ->required();
  cmd->add_option("--tile", a.o.tile, "score and keep tiles of this size (0: whole images)")
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--stride", a.o.stride, "step between tiles (default: the tile size)")
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--top", a.o.top,
                  "keep at most K tiles per image, the most complex (needs --tile)")
      ->check(CLI::Range(0, 1 << 20));
  const auto& table = prep::measures();
  for (size_t i = 0; i < table.size(); ++i) {
    const auto& m = table[i];
    if (m.direction == prep::Direction::kInfo) continue;
    cmd->add_option(
           "--" + prep::threshold_flag(m), a.thresholds[i],
           fmt::format("{} ({} {:g})", m.help,
                       m.direction == prep::Direction::kHigherIsBetter ? "keep from" : "keep up to",
                       m.threshold))
        ->group("Thresholds");
  }
  cmd->add_flag("--no-thresholds", a.no_thresholds,
                "ignore the thresholds (keep by --top and duplicates only)")
      ->group("Thresholds");
  cmd->add_flag("--no-dedup", a.no_dedup, "keep near-duplicates");
  cmd->add_option("--dedup-bits", a.o.dedup_options.max_bits,
                  "perceptual hashes at most this many bits apart are candidates")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--dedup-ssim", a.o.dedup_options.min_ssim,
                  "SSIM of 64x64 thumbnails that confirms a duplicate")
      ->check(CLI::Range(-1.0, 1.0));
  cmd->add_flag("--dry-run", a.o.dry_run,
                "score and decide, write no images (the list is kept.txt)");
  cmd->add_flag("--no-page", a.no_page, "no index.html and no thumbnails");
  cmd->add_option("--threads", a.o.threads, "threads (default: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_flag("--no-progress", a.no_progress, "no progress bar");
  cmd->footer(
      "Example: pairforge curate frames/ -o curated/ --tile 512 --stride 256 --top 4 "
      "--max-blockiness 1.3\n"
      "Writes curated/images/ (the kept images or tiles as PNG), scores.jsonl (every score of "
      "every image or tile, kept or why not), kept.txt and index.html (open it in a browser; "
      "click a column to sort). Exit code 7 when some images could not be read.");
  cmd->callback([] { run_curate(a); });
}

}  // namespace pf::cli

// `pairforge degrade`: parsing only; the work is in src/degrade/{job,explain,pair_maker}.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "degrade/explain.h"
#include "degrade/job.h"
#include "degrade/learned_op.h"
#include "degrade/manifest.h"
#include "degrade/pair_maker.h"
#include "io/image.h"

namespace fs = std::filesystem;

namespace pf::cli {

namespace {

struct DegradeArgs {
  std::string config, input, output, shard, replay, pair, explain;
  int threads = 0, png_compression = io::kPngCompressionDefault;
  uint64_t seed = 0;
  bool seed_given = false, no_progress = false;
};

void parse_shard(const std::string& s, degrade::JobOptions& o) {
  const auto slash = s.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument(s);
    o.shard_index = std::stoi(s.substr(0, slash));
    o.shard_count = std::stoi(s.substr(slash + 1));
  } catch (const std::logic_error&) {
    throw Error("--shard takes i/N (e.g. 0/4), got '" + s + "'", ExitCode::kUsage);
  }
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw Error("--shard " + s + ": need 0 <= i < N", ExitCode::kUsage);
}

// A job with a learned operator needs LibTorch: without it (pairforge), the job is handed over to
// pairforge-torch before anything is read or written.
void need_learned_op(const std::string& op) {
  if (op.empty() || degrade::lbo_network()) return;
  exec_torch_helper("the `" + op + "` operator (a LibTorch network)");
}

void run_replay(const DegradeArgs& a) {
  if (a.pair.empty()) throw Error("--replay needs --pair NAME", ExitCode::kUsage);
  if (a.output.empty()) throw Error("--replay needs -o DIR", ExitCode::kUsage);
  const degrade::PairRecord r = degrade::find_in_manifest(a.replay, a.pair);
  for (const auto& step : r.steps)
    if (step.op == "lbo") need_learned_op(step.op);
  const degrade::RecordedSource src = degrade::read_recorded_source(r, a.input);
  const auto out =
      degrade::replay_pair(r.steps, r.scale, r.alpha, r.background, src.hq, src.alpha, src.next);
  const fs::path dir(a.output);
  io::write_png_atomic((dir / "hq" / (r.name + ".png")).string(), out.hq, out.hq_alpha, r.depth,
                       a.png_compression);
  io::write_png_atomic((dir / "lq" / (r.name + ".png")).string(), out.lq, out.lq_alpha, r.depth,
                       a.png_compression);
  spdlog::info("replayed '{}' ({} steps) into {}/{{hq,lq}}/{}.png", r.name, r.steps.size(),
               a.output, r.name);
}

void run_explain(const DegradeArgs& a, const degrade::DegradeConfig& config) {
  if (a.output.empty()) throw Error("--explain needs -o sheet.png", ExitCode::kUsage);
  const cv::Mat sheet =
      degrade::explain_sheet(config, a.explain, a.seed_given ? a.seed : config.seed);
  io::write_png_atomic(a.output, sheet, cv::Mat(), 8, a.png_compression);
  spdlog::info("contact sheet written to {}", a.output);
}

void run_job(const DegradeArgs& a, const degrade::DegradeConfig& config) {
  if (a.input.empty() || a.output.empty())
    throw Error("degrade needs -i HQ_DIR and -o OUT (or --replay / --explain)", ExitCode::kUsage);
  degrade::JobOptions o;
  o.input = a.input, o.output = a.output;
  o.threads = a.threads > 0 ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  if (a.seed_given) o.seed = a.seed;
  if (!a.shard.empty()) parse_shard(a.shard, o);
  o.progress_bar = !a.no_progress && Progress::stderr_is_tty();
  o.png_compression = a.png_compression;
  install_interrupt_handler();
  const degrade::JobSummary s = degrade::run_degrade_job(config, o);
  const double rate = s.seconds > 0 ? s.pairs_written / s.seconds : 0;
  spdlog::info(
      "{} inputs: wrote {} pairs, {} already done, {} flat tiles skipped, {} unreadable; "
      "{:.1f} s ({:.2f} pairs/s, {} threads)",
      s.inputs, s.pairs_written, s.pairs_already_done, s.tiles_flat, s.unreadable, s.seconds, rate,
      o.threads);
  if (s.video_frames > 0 || s.video_warnings > 0)
    spdlog::info("video: {} frames selected, {} decode errors", s.video_frames, s.video_warnings);
  spdlog::info("pairs: {0}/hq  {0}/lq  manifest: {0}/manifest.jsonl", a.output);
  if (s.interrupted) {
    spdlog::warn("interrupted: finished pairs are kept; run the same command again to resume");
    exit_code_storage() = static_cast<int>(ExitCode::kInterrupted);
  } else if (s.unreadable > 0 || s.video_warnings > 0) {
    exit_code_storage() = static_cast<int>(ExitCode::kSomeFailed);
  }
}

}  // namespace

void register_degrade(CLI::App& app) {
  static DegradeArgs a;
  auto* cmd = app.add_subcommand("degrade", "Make HQ/LQ training pairs with a degradation config");
  cmd->add_option("-c,--config", a.config,
                  "degradation config (YAML), e.g. configs/degrade/realesrgan.yml");
  cmd->add_option("-i,--input", a.input,
                  "HQ folder (recursive; images and videos), image or video (mkv, mp4, m2ts, webm, "
                  "avi); with --replay: a new location of the recorded input");
  cmd->add_option("-o,--output", a.output, "output folder (or sheet.png with --explain)");
  cmd->add_option("--threads", a.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  auto* seed = cmd->add_option("--seed", a.seed, "global seed (overrides the config's)");
  cmd->add_option("--shard", a.shard,
                  "i/N: make only the i-th of N interleaved parts of the inputs");
  cmd->add_option("--replay", a.replay, "manifest.jsonl to rebuild one pair from");
  cmd->add_option("--pair", a.pair, "with --replay: the pair's name");
  cmd->add_option("--explain", a.explain, "IMAGE: write a contact sheet of every stage to -o");
  cmd->add_option(
         "--png-compression", a.png_compression,
         "PNG deflate level: 0 stores, 1 fastest (default; 8-bit: our run/row matcher), "
         "2-12 libdeflate up to the smallest files; the pixels are the same at every level")
      ->check(CLI::Range(io::kPngCompressionMin, io::kPngCompressionMax));
  cmd->add_flag("--no-progress", a.no_progress, "log lines instead of a progress bar");
  cmd->footer(
      "Examples:\n"
      "  pairforge degrade -c configs/degrade/realesrgan.yml -i datasets/samples -o out/pairs\n"
      "  pairforge degrade -c configs/degrade/realesrgan.yml -i frames -o out --shard 3/8\n"
      "  pairforge degrade --replay out/pairs/manifest.jsonl --pair club -o out/replay\n"
      "  pairforge degrade -c configs/degrade/realesrgan.yml --explain img.png -o sheet.png");
  cmd->callback([cmd, seed] {
    a.seed_given = seed->count() > 0;
    if (!a.replay.empty()) return run_replay(a);
    if (a.config.empty()) throw Error("degrade needs -c CONFIG", ExitCode::kUsage);
    const auto config = degrade::DegradeConfig::load(a.config);
    need_learned_op(degrade::learned_op_missing(config.pipeline));
    if (!a.explain.empty()) return run_explain(a, config);
    run_job(a, config);
    (void)cmd;
  });
}

}  // namespace pf::cli

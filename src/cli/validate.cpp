// `pairforge validate -m MODEL --pairs DIR`: upscale every DIR/lq/NAME.png, compare it with
// DIR/hq/NAME.png (PSNR/SSIM over RGB and Y), print a table and write a contact sheet.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/tensor_image.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/progress.h"
#include "infer/upscaler.h"
#include "io/image.h"
#include "io/quality.h"
#include "pages/compare_page.h"

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

struct ValidateArgs {
  std::string model, pairs, sheet, html, device = "auto";
  int64_t tile = 0;
  int threads = 0, crop = 0, sheet_height = 160;
  bool no_progress = false;
};

// One contact-sheet row: LQ (nearest, to the HQ size), the model's output, HQ, each scaled to
// `height` px high.
cv::Mat sheet_row(const cv::Mat& lq, const cv::Mat& out, const cv::Mat& hq, int height) {
  cv::Mat lq_big;
  cv::resize(lq, lq_big, hq.size(), 0, 0, cv::INTER_NEAREST);
  const int width = std::max(1, hq.cols * height / std::max(1, hq.rows));
  std::vector<cv::Mat> cells;
  for (const cv::Mat* m : std::initializer_list<const cv::Mat*>{&lq_big, &out, &hq}) {
    cv::Mat cell;
    cv::resize(*m, cell, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    cells.push_back(cell);
    cells.emplace_back(height, 4, CV_32FC3, cv::Scalar::all(1.0));  // a white gutter
  }
  cells.pop_back();
  cv::Mat row;
  cv::hconcat(cells, row);
  return row;
}

cv::Mat stack_rows(const std::vector<cv::Mat>& rows) {
  int width = 0;
  for (const auto& r : rows) width = std::max(width, r.cols);
  std::vector<cv::Mat> padded;
  for (const auto& r : rows) {
    cv::Mat p;
    cv::copyMakeBorder(r, p, 0, 4, 0, width - r.cols, cv::BORDER_CONSTANT, cv::Scalar::all(1.0));
    padded.push_back(p);
  }
  cv::Mat sheet;
  cv::vconcat(padded, sheet);
  return sheet;
}

void run_validate(const ValidateArgs& a) {
  const fs::path lq_dir = fs::path(a.pairs) / "lq", hq_dir = fs::path(a.pairs) / "hq";
  if (!fs::is_directory(lq_dir) || !fs::is_directory(hq_dir))
    throw InputError("--pairs " + a.pairs + ": expected the folders hq/ and lq/ inside");
  std::vector<fs::path> names;
  for (const auto& e : fs::directory_iterator(lq_dir))
    if (io::is_image_file(e.path().string()) && fs::exists(hq_dir / e.path().filename()))
      names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  if (names.empty()) throw InputError("no LQ image in " + lq_dir.string() + " has an HQ twin");

  infer::set_threads(a.threads);
  infer::UpscaleOptions o;
  o.device = a.device, o.tile = a.tile;
  infer::Upscaler up(models::load_model(a.model), o);
  fmt::print("{:<32} {:>9} {:>8} {:>9} {:>8}\n", "image", "PSNR RGB", "SSIM RGB", "PSNR Y",
             "SSIM Y");
  io::Quality sum{0, 0, 0, 0};
  std::vector<cv::Mat> rows;
  std::optional<pages::ComparePage> page;
  const std::string model_name = fs::path(a.model).stem().string();
  if (!a.html.empty())
    page.emplace(a.html, model_name + " on " + a.pairs,
                 std::vector<pages::Version>{{"LQ", pages::VersionKind::kLq},
                                             {model_name, pages::VersionKind::kOutput},
                                             {"HQ", pages::VersionKind::kHq}},
                 a.crop);
  Progress bar("validate", static_cast<int64_t>(names.size()),
               !a.no_progress && Progress::stderr_is_tty(), "images", "");
  for (const auto& name : names) {
    const auto lq = io::read_image((lq_dir / name).string()).rgb;
    const auto hq = io::read_image((hq_dir / name).string()).rgb;
    const cv::Mat out = chw_to_mat(up.upscale(mat_to_chw(lq)));
    const auto q = io::measure_quality(out, hq, a.crop);
    fmt::print("{:<32} {:>9.3f} {:>8.4f} {:>9.3f} {:>8.4f}\n", name.string(), q.psnr_rgb,
               q.ssim_rgb, q.psnr_y, q.ssim_y);
    sum.psnr_rgb += q.psnr_rgb, sum.ssim_rgb += q.ssim_rgb;
    sum.psnr_y += q.psnr_y, sum.ssim_y += q.ssim_y;
    if (!a.sheet.empty()) rows.push_back(sheet_row(lq, out, hq, a.sheet_height));
    if (page)  // the output's numbers are the ones printed above
      page->add(name.stem().string(), {pages::Picture{(lq_dir / name).string(), lq, std::nullopt},
                                       pages::Picture{"", out, q},
                                       pages::Picture{(hq_dir / name).string(), hq, std::nullopt}});
    bar.advance(1, 1);
  }
  bar.finish();
  const double n = static_cast<double>(names.size());
  fmt::print("{:<32} {:>9.3f} {:>8.4f} {:>9.3f} {:>8.4f}\n", "mean", sum.psnr_rgb / n,
             sum.ssim_rgb / n, sum.psnr_y / n, sum.ssim_y / n);
  if (!a.sheet.empty()) {
    io::write_png_atomic(a.sheet, stack_rows(rows), cv::Mat(), 8);
    spdlog::info("contact sheet (LQ | output | HQ per row): {}", a.sheet);
  }
  if (page)
    spdlog::info("comparison page (LQ | output | HQ): file://{}",
                 fs::absolute(page->finish()).string());
}

}  // namespace

void register_validate(CLI::App& app) {
  static ValidateArgs a;
  auto* cmd = app.add_subcommand("validate", torch_command_description("validate"));
  cmd->add_option("-m,--model", a.model, "model file (.pth or .safetensors)")->required();
  cmd->add_option("--pairs", a.pairs, "folder with hq/ and lq/ (as `degrade` writes)")->required();
  cmd->add_option("--sheet", a.sheet, "contact sheet PNG to write (LQ | output | HQ)");
  cmd->add_option("--html", a.html, "comparison page folder to write (LQ | output | HQ)");
  cmd->add_option("--sheet-height", a.sheet_height, "row height of the sheet in px")
      ->check(CLI::Range(8, 4096));
  cmd->add_option("--crop", a.crop, "border pixels left out of the metrics")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--tile", a.tile, "tile size (0: from the memory budget)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 16));
  cmd->add_option("--device", a.device, "auto, cpu, cuda or cuda:N");
  cmd->add_option("--threads", a.threads, "CPU threads (default: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_flag("--no-progress", a.no_progress, "no progress bar");
  cmd->footer(
      "Example: pairforge validate -m 2x_AnimeJaNai_Standard_V1_Compact.safetensors "
      "--pairs out/pairs --sheet sheet.png --html page/\n"
      "Metrics are on 8-bit values; Y is BT.601 luma (16..235) as in basicsr.");
  cmd->callback([] { run_validate(a); });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

// `pairforge upscale -m MODEL -i IN -o OUT`: an image, a folder of images or a video through a
// model with the tiled upscaler (src/infer). Parsing and file glue only.
#ifdef PAIRFORGE_HAVE_TORCH
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "cli/tensor_image.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/progress.h"
#include "infer/upscaler.h"
#include "io/audio_copy.h"
#include "io/image.h"
#include "io/video_reader.h"
#include "io/video_writer.h"

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

struct UpscaleArgs {
  std::string model, input, output, device = "auto", precision = "fp32";
  int64_t tile = 0, tile_mode = 0, overlap = 16, batch = 1, memory_budget_mb = 512;
  int threads = 0, bit_depth = 0, cache_mode = -1;
  double cugan_alpha = 1.0;
  std::string codec = "libx264", pix_fmt = "yuv420p", preset;
  int crf = -1;
  int64_t bitrate = 0;
  bool no_progress = false;
};

bool show_bar(const UpscaleArgs& a) {
  return !a.no_progress && Progress::stderr_is_tty();
}

// An image whose input and output as float tensors outgrow the memory budget (a 13000 x 13000
// PNG at x2: 2 + 8.1 GB) goes through in bands of rows instead: each band is upscaled with
// context rows above and below (tiled within the budget as any image is) and quantised into the
// output as it comes, so no full-size float output ever exists. Real-CUGAN keeps its own tiling.
cv::Mat upscale_in_bands(infer::Upscaler& up, const io::Image& image, int depth,
                         const UpscaleArgs& a, const infer::TileProgress& progress) {
  const int64_t s = up.scale(), w = image.rgb.cols, h = image.rgb.rows;
  const int64_t c = image.alpha.empty() ? 3 : 4;
  const int64_t row_bytes = w * c * 4 * (1 + s * s);  // a row in, s rows out, as float
  const int64_t budget = a.memory_budget_mb << 20;
  const int64_t context = std::max<int64_t>(a.overlap, 16);
  const int64_t band = std::max<int64_t>(16, budget / 2 / row_bytes);
  cv::Mat out(static_cast<int>(h * s), static_cast<int>(w * s),
              CV_MAKETYPE(depth == 16 ? CV_16U : CV_8U, static_cast<int>(c)));
  for (int64_t y0 = 0; y0 < h; y0 += band) {
    const int64_t y1 = std::min(h, y0 + band);
    const int64_t top = std::max<int64_t>(0, y0 - context), bottom = std::min(h, y1 + context);
    const cv::Range rows(static_cast<int>(top), static_cast<int>(bottom));
    const auto rgb = mat_to_chw(image.rgb.rowRange(rows));
    const auto result =
        image.alpha.empty()
            ? up.upscale(rgb, progress)
            : up.upscale_rgba(rgb, mat_to_chw(image.alpha.rowRange(rows)), progress);
    chw_to_bgr_quantised(result.narrow(1, (y0 - top) * s, (y1 - y0) * s), depth)
        .copyTo(out.rowRange(static_cast<int>(y0 * s), static_cast<int>(y1 * s)));
  }
  return out;
}

void upscale_image(infer::Upscaler& up, const std::string& in, const std::string& out,
                   const UpscaleArgs& a, const infer::TileProgress& progress) {
  io::Image image = io::read_image(in);
  const int depth = a.bit_depth > 0 ? a.bit_depth : (image.bit_depth > 8 ? 16 : 8);
  const int64_t s = up.scale();
  const int64_t whole = static_cast<int64_t>(image.rgb.total()) * 4 * 4 * (1 + s * s);
  cv::Mat quantised;
  if (whole > (a.memory_budget_mb << 20) && up.spec().arch != "RealCUGAN" && a.tile_mode == 0) {
    quantised = upscale_in_bands(up, image, depth, a, progress);
  } else {
    const auto rgb = mat_to_chw(image.rgb);
    image.rgb.release();  // the tensor is a copy; a 4K frame's float Mat is 100 MB
    const auto result = image.alpha.empty()
                            ? up.upscale(rgb, progress)
                            : up.upscale_rgba(rgb, mat_to_chw(image.alpha), progress);
    quantised = chw_to_bgr_quantised(result, depth);
  }
  std::vector<uint8_t> png;
  // Compression level 3 as io::encode_png: ~3x faster than OpenCV's default, ~5% larger.
  if (!cv::imencode(".png", quantised, png, {cv::IMWRITE_PNG_COMPRESSION, 3}))
    throw IoError("PNG encoding failed for " + out);
  io::write_file_atomic(out, png);
}

void require_png(const std::string& path) {
  if (fs::path(path).extension() != ".png")
    throw ConfigError("output '" + path + "': images are written as PNG (name it .png)");
}

void run_single_image(infer::Upscaler& up, const UpscaleArgs& a) {
  require_png(a.output);
  Progress bar("upscale", -1, show_bar(a), "tiles", "");
  upscale_image(up, a.input, a.output, a, [&](int64_t done, int64_t total) { bar.advance(1, 1); });
  bar.finish();
  spdlog::info("{} -> {}", a.input, a.output);
}

void run_folder(infer::Upscaler& up, const UpscaleArgs& a) {
  std::vector<fs::path> images;
  for (const auto& e : fs::directory_iterator(a.input))
    if (e.is_regular_file() && io::is_image_file(e.path().string())) images.push_back(e.path());
  std::sort(images.begin(), images.end());
  if (images.empty()) throw InputError("no images in folder " + a.input);
  fs::create_directories(a.output);
  Progress bar("upscale", static_cast<int64_t>(images.size()), show_bar(a), "images", "");
  int failed = 0;
  for (const auto& path : images) {
    const auto out = (fs::path(a.output) / path.stem()).string() + ".png";
    try {
      upscale_image(up, path.string(), out, a, {});
    } catch (const InputError& e) {
      spdlog::warn("skipped: {}", e.what());
      ++failed;
    }
    bar.advance(1, 1);
  }
  bar.finish();
  spdlog::info("{} images upscaled into {}, {} unreadable", images.size() - failed, a.output,
               failed);
  if (failed > 0) exit_code_storage() = static_cast<int>(ExitCode::kSomeFailed);
}

void run_video(infer::Upscaler& up, const UpscaleArgs& a) {
  // The picture as it is stored, bars and all, one output frame per input frame (the audio is
  // copied beside it); PQ/HLG are still tone-mapped rather than shown washed out.
  io::SourceOptions as_stored;
  as_stored.fields = io::FieldMode::kProgressive;
  as_stored.crop = io::CropMode::kNone;
  io::VideoReader reader(a.input, {}, as_stored);
  io::VideoWriterOptions w;
  w.codec = a.codec, w.pix_fmt = a.pix_fmt, w.preset = a.preset;
  w.crf = a.crf, w.bitrate = a.bitrate, w.fps = reader.fps();
  w.threads = std::max(1, a.threads);
  const auto s = static_cast<int>(up.scale());
  // With audio, the video is encoded to a side file first and remuxed with the copied sound.
  const bool audio = io::count_audio_streams(a.input) > 0;
  const fs::path out(a.output);
  const std::string video_path =
      audio ? (out.parent_path() / (out.stem().string() + ".video" + out.extension().string()))
                  .string()
            : a.output;
  io::VideoWriter writer(video_path, reader.width() * s, reader.height() * s, w);
  const double duration = reader.duration_s();
  Progress bar("upscale", duration > 0 ? static_cast<int64_t>(duration * reader.fps()) : -1,
               show_bar(a), "frames", "");
  io::VideoFrame frame;
  const auto start = std::chrono::steady_clock::now();
  while (reader.next(frame)) {
    writer.write(chw_to_mat(up.upscale(mat_to_chw(frame.rgb))));
    bar.advance(1, 1);
  }
  writer.finish();
  bar.finish();
  if (audio) {
    io::mux_with_audio(video_path, a.input, a.output);
    fs::remove(video_path);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("{} frames -> {} ({:.2f} fps)", writer.frames_written(), a.output,
               secs > 0 ? writer.frames_written() / secs : 0.0);
  if (reader.warnings() > 0) {
    spdlog::warn("{} decode errors in {}", reader.warnings(), a.input);
    exit_code_storage() = static_cast<int>(ExitCode::kSomeFailed);
  }
}

void run_upscale(const UpscaleArgs& a) {
  if (!fs::exists(a.input)) throw InputError("input '" + a.input + "' does not exist");
  infer::set_threads(a.threads);
  infer::UpscaleOptions o;
  o.tile = a.tile, o.tile_mode = a.tile_mode, o.overlap = a.overlap, o.batch = a.batch,
  o.device = a.device, o.cache_mode = a.cache_mode;
  o.precision = infer::parse_precision(a.precision);
  o.memory_budget_mb = a.memory_budget_mb, o.cugan_alpha = a.cugan_alpha;
  infer::Upscaler up(models::load_model(a.model), o);
  spdlog::info("{} x{} on {} ({})", up.spec().arch, up.scale(), up.device().str(), a.precision);
  if (fs::is_directory(a.input)) return run_folder(up, a);
  if (io::is_video_file(a.input)) return run_video(up, a);
  run_single_image(up, a);
}

}  // namespace

void register_upscale(CLI::App& app) {
  static UpscaleArgs a;
  auto* cmd = app.add_subcommand("upscale", torch_command_description("upscale"));
  cmd->add_option("-m,--model", a.model, "model file (.pth or .safetensors)")->required();
  cmd->add_option("-i,--input", a.input, "image, folder of images, or video")->required();
  cmd->add_option("-o,--output", a.output, "output .png, folder, or video file")->required();
  cmd->add_option("--tile", a.tile, "tile size in input pixels (0: from --memory-budget)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 16));
  cmd->add_option("--tile-mode", a.tile_mode,
                  "Real-CUGAN's tile modes instead of --tile: 1 halves the longer side, N >= 2 "
                  "an N x N grid (tiles keep >= 128 px short sides); Real-CUGAN models give "
                  "upcunet_v3.py's output");
  cmd->add_option("--cache-mode", a.cache_mode,
                  "Real-CUGAN tiles, as upcunet_v3.py's cache_mode: 0 keep stage outputs, 1 keep "
                  "them in 8 bits (lossy), 2 means from odd tiles then recompute (lossy), 3 "
                  "recompute (~2.5x time) (default: 0 with --tile-mode, else 0 when it fits "
                  "--memory-budget, 3 when not)")
      ->check(CLI::Range(0, 3));
  cmd->add_option("--overlap", a.overlap,
                  "context pixels around each tile (default 16; Real-CUGAN brings its own)")
      ->check(CLI::Range(int64_t{0}, int64_t{1024}));
  cmd->add_option("--batch", a.batch, "tiles per forward pass")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--memory-budget", a.memory_budget_mb, "MB for one forward pass (default 512)")
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 20));
  cmd->add_option("--device", a.device, "auto, cpu, cuda or cuda:N");
  cmd->add_option("--precision", a.precision, "fp32, fp16 (CUDA) or bf16")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  cmd->add_option("--threads", a.threads, "CPU threads (default: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_option("--bit-depth", a.bit_depth, "PNG output bits: 8 or 16 (default: as the input)")
      ->check(CLI::IsMember({0, 8, 16}));
  cmd->add_option("--cugan-alpha", a.cugan_alpha, "Real-CUGAN strength (1 = as trained)");
  cmd->add_option("--codec", a.codec, "video: FFmpeg encoder (libx264, libx265, ffv1, ...)");
  cmd->add_option("--crf", a.crf, "video: constant rate factor (-1: encoder default)")
      ->check(CLI::Range(-1, 63));
  cmd->add_option("--bitrate", a.bitrate, "video: bits/s (0: encoder default)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--pix-fmt", a.pix_fmt, "video: pixel format (yuv420p, yuv420p10le, ...)");
  cmd->add_option("--preset", a.preset, "video: x264/x265 preset");
  cmd->add_flag("--no-progress", a.no_progress, "log lines instead of a progress bar");
  cmd->footer(
      "Examples:\n"
      "  pairforge upscale -m 2x_AnimeJaNai_Standard_V1_Compact.safetensors -i in.png -o out.png\n"
      "  pairforge upscale -m realesr-animevideov3.pth -i frames/ -o up/ --tile 256 --batch 4\n"
      "  pairforge upscale -m 2xLiveActionV1_SPAN.safetensors -i clip.mkv -o clip_2x.mkv "
      "--crf 16\n"
      "  pairforge upscale -m up2x-latest-denoise3x.pth -i big.png -o out.png --tile-mode 3 "
      "--cache-mode 3");
  cmd->callback([] { run_upscale(a); });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

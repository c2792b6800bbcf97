// `pairforge frames VIDEO -o DIR`: extract the selected frames of a video as PNG files.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/commands.h"
#include "core/error.h"
#include "io/image.h"
#include "io/video_reader.h"

namespace pf::cli {

namespace {

struct FramesArgs {
  std::string video, out_dir;
  io::FrameSelection sel;
  int depth = 16;
  int png_compression = io::kPngCompressionDefault;
};

void run_frames(const FramesArgs& a) {
  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) throw IoError("cannot create output folder '" + a.out_dir + "': " + ec.message());
  io::VideoReader reader(a.video, a.sel);
  spdlog::info("{}: {}x{}, {:.3f} fps, {}-bit, {:.1f} s", a.video, reader.width(), reader.height(),
               reader.fps(), reader.bit_depth(), reader.duration_s());
  io::VideoFrame frame;
  int64_t written = 0;
  while (reader.next(frame)) {
    const auto path =
        std::filesystem::path(a.out_dir) / (io::frame_name(a.video, frame.index) + ".png");
    io::write_png_atomic(path.string(), frame.rgb, cv::Mat(), a.depth, a.png_compression);
    ++written;
  }
  spdlog::info("wrote {} frames to {}", written, a.out_dir);
  if (reader.warnings() > 0) {
    spdlog::warn("{} decode problems in '{}': the frames that decoded were written",
                 reader.warnings(), a.video);
    exit_code_storage() = static_cast<int>(ExitCode::kSomeFailed);
  }
}

}  // namespace

void register_frames(CLI::App& app) {
  auto* cmd = app.add_subcommand("frames", "Extract the selected frames of a video as PNG");
  cmd->footer(
      "Frames are named <video-stem>_<frame-number>.png.\n"
      "Example: pairforge frames movie.mkv -o frames --scene 0.15 --dedup 6 --start 60 --end 600");
  static FramesArgs args;
  cmd->add_option("video", args.video, "video file (mkv, mp4, m2ts, ts, webm, avi, mov)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args.out_dir, "output folder")->required();
  cmd->add_option("--every", args.sel.every, "keep every N-th frame")->check(CLI::PositiveNumber);
  cmd->add_option(
         "--scene", args.sel.scene_threshold,
         "keep the first frame of each scene instead; cut threshold, mean luma change 0..1")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--dedup", args.sel.dedup_distance,
                  "skip frames within D bits (of 64) of the last kept frame's pHash; -1 off")
      ->check(CLI::Range(-1, 64));
  cmd->add_option("--start", args.sel.start_s, "start time, seconds")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--end", args.sel.end_s, "end time, seconds (0 = to the end)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--depth", args.depth, "PNG bits per sample")->check(CLI::IsMember({8, 16}));
  cmd->add_option("--png-compression", args.png_compression,
                  "PNG deflate level: 0 stores, 1 fastest (default), 2-12 libdeflate up to the "
                  "smallest files")
      ->check(CLI::Range(io::kPngCompressionMin, io::kPngCompressionMax));
  cmd->callback([] { run_frames(args); });
}

}  // namespace pf::cli

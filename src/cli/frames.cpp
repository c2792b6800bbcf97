// `pairforge frames VIDEO -o DIR`: extract the selected frames of a video as PNG files, made
// clean on the way (fields, HDR, bars, pixel aspect: io/source_options.h), with a frames.json
// that records what was found and done.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/source_flags.h"
#include "core/bounded_queue.h"
#include "core/error.h"
#include "io/image.h"
#include "io/video_reader.h"

namespace pf::cli {

namespace {

struct FramesArgs {
  std::string video, out_dir;
  io::FrameSelection sel;
  SourceFlags source;
  int depth = 0;  // 0 = the source's: 8-bit sources give 8-bit PNGs, deeper ones 16-bit
  int png_compression = io::kPngCompressionDefault;
  int threads = 0;
};

struct FrameToWrite {
  std::string path;
  cv::Mat pixels;  // CV_8UC3 or CV_16UC3, the reader's native samples
};

// The reader's native samples at the asked depth (x257 up, rounded down).
cv::Mat at_depth(const cv::Mat& pixels, int depth) {
  const bool deep = pixels.depth() == CV_16U;
  if (deep == (depth == 16)) return pixels;
  cv::Mat out;
  pixels.convertTo(out, deep ? CV_8U : CV_16U, deep ? 1 / 257.0 : 257.0);
  return out;
}

void run_frames(const FramesArgs& a) {
  const io::SourceOptions source = a.source.parse();
  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) throw IoError("cannot create output folder '" + a.out_dir + "': " + ec.message());
  io::VideoReader reader(a.video, a.sel, source);
  reader.set_native_pixels(true);
  const io::SourceReport& report = reader.report();
  const int depth = a.depth ? a.depth : report.depth;
  spdlog::info("{}: {}x{} -> {}x{}, {:.3f} -> {:.3f} fps, {}-bit source, {}-bit PNGs, {:.1f} s",
               a.video, report.source_width, report.source_height, reader.width(), reader.height(),
               report.fps_in, reader.fps(), reader.bit_depth(), depth, reader.duration_s());
  const io::PngTags tags = reader.png_tags();

  // PNG encoding on worker threads while this one decodes and filters.
  const int writers =
      std::max(1, a.threads ? a.threads : static_cast<int>(std::thread::hardware_concurrency()));
  BoundedQueue<FrameToWrite> queue(static_cast<size_t>(writers) * 2);
  std::vector<std::thread> pool;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (int i = 0; i < writers; ++i)
    pool.emplace_back([&] {
      while (auto item = queue.pop()) {
        try {
          io::write_png_atomic(item->path, at_depth(item->pixels, depth), cv::Mat(), depth,
                               a.png_compression, tags);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          queue.close();
        }
      }
    });

  nlohmann::json frames = nlohmann::json::array();
  io::VideoFrame frame;
  try {
    while (reader.next(frame)) {
      const std::string name = io::frame_name(a.video, frame.index);
      nlohmann::json f = {{"name", name + ".png"}, {"index", frame.index}, {"time", frame.time_s}};
      if (a.sel.scene_threshold > 0) f["scene_score"] = frame.scene_score;
      frames.push_back(std::move(f));
      if (!queue.push({(std::filesystem::path(a.out_dir) / (name + ".png")).string(),
                       std::move(frame.rgb)}))
        break;
      frame = io::VideoFrame{};
    }
  } catch (...) {
    queue.close();
    for (auto& t : pool) t.join();
    throw;
  }
  queue.close();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

  nlohmann::json meta = {{"video", a.video},
                         {"source", nlohmann::json::parse(report.to_json())},
                         {"png_depth", depth},
                         {"frames", frames}};
  const std::string meta_path = (std::filesystem::path(a.out_dir) / "frames.json").string();
  io::write_file_atomic(meta_path, meta.dump(1) + "\n");
  spdlog::info("wrote {} frames to {} (what was done: {})", frames.size(), a.out_dir, meta_path);
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
      "Frames are named <video-stem>_<frame-number>.png (film frames after IVTC); frames.json\n"
      "records the field, HDR, crop and pixel-aspect decisions and every frame written.\n"
      "Example: pairforge frames episode.m2ts -o frames --scene 0.3 --dedup 6 --start 60 --end "
      "600");
  static FramesArgs args;
  cmd->add_option("video", args.video,
                  "video file (mkv, mp4, m2ts, ts, vob, mpg, webm, avi, mov, ...)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args.out_dir, "output folder")->required();
  cmd->add_option("--every", args.sel.every, "keep every N-th frame")->check(CLI::PositiveNumber);
  cmd->add_option("--scene", args.sel.scene_threshold,
                  "keep the first frame of each scene instead; cut threshold on ffmpeg's scene "
                  "score, 0..1 (0.3 finds ordinary hard cuts)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--dedup", args.sel.dedup_distance,
                  "skip frames within D bits (of 64) of the last kept frame's pHash; -1 off")
      ->check(CLI::Range(-1, 64));
  cmd->add_option("--start", args.sel.start_s, "start time, seconds (frame-exact)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--end", args.sel.end_s, "end time, seconds (0 = to the end)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--depth", args.depth, "PNG bits per sample (default: 8 for 8-bit sources)")
      ->check(CLI::IsMember({8, 16}));
  cmd->add_option("--png-compression", args.png_compression,
                  "PNG deflate level: 0 stores, 1 fastest (default), 2-12 libdeflate up to the "
                  "smallest files")
      ->check(CLI::Range(io::kPngCompressionMin, io::kPngCompressionMax));
  cmd->add_option("--threads", args.threads, "PNG writing threads (default: all cores)")
      ->check(CLI::Range(1, 256));
  args.source.add_to(cmd);
  cmd->callback([] { run_frames(args); });
}

}  // namespace pf::cli

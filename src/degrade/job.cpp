#include "degrade/job.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/bounded_queue.h"
#include "core/error.h"
#include "core/heap.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/safe_name.h"
#include "degrade/manifest.h"
#include "degrade/pair_maker.h"
#include "io/image.h"
#include "io/video_reader.h"

namespace fs = std::filesystem;

namespace pf::degrade {

std::vector<std::string> list_inputs(const std::string& input) {
  return list_inputs(input, nullptr);
}

std::vector<std::string> list_inputs(const std::string& input, std::vector<std::string>* skipped) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw InputError("input '" + input + "' does not exist");
  if (fs::is_regular_file(input, ec)) return {fs::path(input).filename().string()};
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(input, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError("cannot list '" + input + "': " + ec.message());
    const std::string path = it->path().string();
    // One entry that cannot be looked at (a symlink loop, a dangling link, no permission) is that
    // entry's problem, not the folder's: it is named and counted, the others go on.
    std::error_code entry_ec;
    const bool regular = it->is_regular_file(entry_ec);
    if (entry_ec) {
      const std::string why = "'" + escape_invalid_utf8(path) + "': " + entry_ec.message();
      if (!skipped) throw InputError("cannot read " + why);
      spdlog::warn("skipped {}", why);
      skipped->push_back(path);
      continue;
    }
    if (regular && (io::is_image_file(path) || io::is_video_file(path)))
      out.push_back(fs::relative(it->path(), input).generic_string());
  }
  if (out.empty())
    throw InputError("input folder '" + input + "' holds no image (png, jpg, webp, tif)");
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<cv::Rect> tile_grid(cv::Size size, int scale, int gt_size, int step) {
  const cv::Rect whole = crop_to_multiple(size, scale);
  if (gt_size <= 0) return {whole};
  if (whole.width < gt_size || whole.height < gt_size) return {};
  if (step <= 0) step = gt_size;
  auto positions = [&](int length) {
    std::vector<int> p;
    for (int x = 0; x + gt_size <= length; x += step) p.push_back(x);
    // Cover the remainder with an edge-aligned tile, snapped to the scale grid.
    const int last = (length - gt_size) / scale * scale;
    if (p.back() != last) p.push_back(last);
    return p;
  };
  std::vector<cv::Rect> tiles;
  for (int y : positions(whole.height))
    for (int x : positions(whole.width)) tiles.emplace_back(x, y, gt_size, gt_size);
  return tiles;
}

std::string pair_name(const std::string& stem_in, int tile, bool tiled, int variant, int variants) {
  std::string stem = stem_in;
  if (tiled) stem += fmt::format("_s{:03}", tile + 1);
  if (variants > 1) stem += fmt::format("_v{}", variant);
  return stem;
}

namespace {

double luma_std(const cv::Mat& rgb) {
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(gray, mean, stddev);
  return stddev[0];
}

// Temp files of a killed earlier run; a live shard's temp files are left alone.
void remove_stale_temps(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && io::is_stale_temp(it->path().string())) {
      spdlog::info("removing stale temp file {}", it->path().string());
      fs::remove(it->path(), ec);
    }
}

int context_frames_for(const DegradeConfig& config) {
  // Inter-frame codecs encode the real following frames; nothing else looks at them.
  return config.pipeline.uses_op("codec") ? config.video.context_frames : 0;
}

struct WorkItem {
  std::string source;         // relative path (the seed and the name derive from it)
  std::string path;           // file to read (stills) or the video it came from
  int64_t frame = -1;         // video frame number; -1 for stills
  cv::Mat rgb;                // the decoded video frame
  std::vector<cv::Mat> next;  // the frames that follow it
  // Video frames: the job's source options and what the reader found and did with this video
  // (fields, HDR, crop, SAR), as JSON for the record.
  std::shared_ptr<const std::string> video_source;
};

class Job {
 public:
  Job(const DegradeConfig& config, const JobOptions& options)
      : config_(config), options_(options), seed_(options.seed.value_or(config.seed)) {
    std::error_code ec;
    root_ = fs::absolute(options.input, ec).lexically_normal().string();
    input_is_file_ = fs::is_regular_file(options.input, ec);
    selection_.every = config.video.every;
    selection_.scene_threshold = config.video.scene_threshold;
    selection_.dedup_distance = config.video.dedup_distance;
    selection_.start_s = config.video.start_s;
    selection_.end_s = config.video.end_s;
    source_ = config.video.source;
    source_json_ = io::source_options_json(source_);
    context_frames_ = context_frames_for(config);
  }

  JobSummary run() {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> unlisted;
    std::vector<std::string> all = list_inputs(options_.input, &unlisted);
    // Entries that could not even be looked at count as unreadable inputs of shard 0.
    if (options_.shard_index == 0) counts_.unreadable += static_cast<int64_t>(unlisted.size());
    std::vector<WorkItem> mine;
    for (size_t i = 0; i < all.size(); ++i) {
      if (static_cast<int>(i % options_.shard_count) != options_.shard_index) continue;
      WorkItem item;
      item.source = all[i];
      item.path = input_is_file_ ? options_.input : (fs::path(options_.input) / all[i]).string();
      mine.push_back(std::move(item));
    }
    summary_.inputs = static_cast<int64_t>(mine.size());
    for (const char* sub : {"hq", "lq", "meta"}) {
      const fs::path dir = fs::path(options_.output) / sub;
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec)
        throw IoError("cannot create the output folder '" + dir.string() + "': " + ec.message());
      remove_stale_temps(dir);
    }

    Progress progress("degrade", summary_.inputs, options_.progress_bar);
    progress_ = &progress;
    // Decoded video frames wait here: at most one per worker, so memory stays flat.
    BoundedQueue<WorkItem> queue(static_cast<size_t>(options_.threads));
    std::vector<std::thread> workers;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    // A thread that cannot start (too many asked for) ends the job cleanly: the ones already
    // running are joined, never left to std::terminate.
    const auto start_failed = [&](const std::system_error& e) {
      queue.close();
      for (auto& w : workers) w.join();
      throw Error("cannot start " + std::to_string(options_.threads) +
                  " worker threads: " + e.what());
    };
    for (int t = 0; t < options_.threads; ++t) {
      try {
        workers.emplace_back([&] {
          while (auto item = queue.pop()) {
            try {
              process(*item);
            } catch (...) {
              std::lock_guard<std::mutex> lock(failure_mutex);
              if (!failure) failure = std::current_exception();
              request_interrupt();
            }
          }
        });
      } catch (const std::system_error& e) {
        start_failed(e);
      }
    }
    for (auto& item : mine) {
      if (interrupted()) break;
      if (io::is_video_file(item.path))
        produce_video_frames(item, queue, progress);
      else
        queue.push(std::move(item));
    }
    queue.close();
    for (auto& w : workers) w.join();
    progress.finish();
    if (failure) std::rethrow_exception(failure);

    rebuild_manifest(options_.output);
    summary_.pairs_written = counts_.pairs_written;
    summary_.pairs_already_done = counts_.pairs_already_done;
    summary_.tiles_flat = counts_.tiles_flat;
    summary_.unreadable = counts_.unreadable;
    summary_.video_frames = counts_.video_frames;
    summary_.video_warnings = counts_.video_warnings;
    summary_.interrupted = interrupted();
    summary_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary_;
  }

 private:
  // Decodes the selected frames of one video on the calling thread and queues them.
  void produce_video_frames(const WorkItem& video, BoundedQueue<WorkItem>& queue,
                            Progress& progress) {
    try {
      io::VideoReader reader(video.path, selection_, source_);
      auto record = nlohmann::json::parse(source_json_);
      record["found"] = nlohmann::json::parse(reader.report().to_json());
      const auto video_source = std::make_shared<const std::string>(record.dump());
      io::VideoFrame frame;
      std::vector<cv::Mat> following;
      while (!interrupted() && reader.next(frame, &following, context_frames_)) {
        ++counts_.video_frames;
        // Move the pixels out, so the reader decodes the next frame into fresh buffers: a
        // cv::Mat of the same size would otherwise be reused under a worker's feet.
        WorkItem item{video.source,         video.path,           frame.index,
                      std::move(frame.rgb), std::move(following), video_source};
        frame = io::VideoFrame{};
        following = {};
        if (!queue.push(std::move(item))) break;
      }
      if (reader.warnings() > 0)
        spdlog::warn(
            "'{}': {} decode errors (truncated or corrupt data); kept the frames that "
            "decoded",
            video.path, reader.warnings());
      counts_.video_warnings += reader.warnings();
    } catch (const InputError& e) {
      spdlog::warn("skipped: {}", e.what());
      ++counts_.unreadable;
    }
    progress.advance(1, 0);
  }

  void process(const WorkItem& item) {
    if (interrupted()) return;
    io::Image img;
    if (item.frame >= 0) {
      img.rgb = item.rgb;
    } else {
      try {
        img = io::read_image(item.path);
      } catch (const InputError& e) {
        spdlog::warn("skipped: {}", e.what());
        ++counts_.unreadable;
        progress_->advance(1, 0);
        return;
      }
    }
    const auto tiles = tile_grid(img.rgb.size(), config_.scale, config_.gt_size, config_.tile_step);
    if (tiles.empty())
      spdlog::warn("skipped '{}': smaller than gt_size {}", escape_invalid_utf8(item.path),
                   config_.gt_size);
    if (tiles.size() == 1 && tiles[0].empty()) {
      skip_item(item, fmt::format("{}x{} is smaller than the scale {}", img.rgb.cols, img.rgb.rows,
                                  config_.scale));
      return;
    }
    // One pair from the whole frame: the pair degrades the decoded frame itself, not a copy.
    // (Stills only: a video frame's pixels may also be an earlier frame's context frame.)
    const bool single_use = item.frame < 0 && tiles.size() == 1 && config_.variants == 1;
    int64_t written = 0;
    for (size_t k = 0; k < tiles.size() && !interrupted(); ++k) {
      const cv::Mat hq = img.rgb(tiles[k]);
      if (single_use) img.rgb.release();  // `hq` keeps the pixels alive
      if (config_.flat_threshold > 0 && luma_std(hq) < config_.flat_threshold) {
        ++counts_.tiles_flat;
        continue;
      }
      const cv::Mat alpha = img.alpha.empty() ? cv::Mat() : img.alpha(tiles[k]);
      for (int v = 0; v < config_.variants && !interrupted(); ++v) {
        try {
          written += make_one(item, tiles[k], static_cast<int>(k), v, hq, alpha, single_use);
        } catch (const Error& e) {
          // An input the chain cannot handle (too small for an operator, say) is skipped; a
          // full disk, a bad config or model still ends the job.
          if (e.code() != ExitCode::kFailure && e.code() != ExitCode::kInput) throw;
          skip_item(item, e.what());
          return;
        } catch (const cv::Exception& e) {
          skip_item(item, e.what());
          return;
        }
      }
    }
    progress_->advance(item.frame >= 0 ? 0 : 1, written);
  }

  void skip_item(const WorkItem& item, const std::string& why) {
    std::string where = escape_invalid_utf8(item.path);
    if (item.frame >= 0) where += " frame " + std::to_string(item.frame);
    spdlog::warn("skipped '{}': {}", where, why);
    ++counts_.unreadable;
    progress_->advance(item.frame >= 0 ? 0 : 1, 0);
  }

  // Returns 1 when a pair was written, 0 when an earlier run had finished it.
  // `last_use`: nothing reads `hq` afterwards, so its pixels may be degraded in place.
  int make_one(const WorkItem& item, const cv::Rect& crop, int tile, int variant, const cv::Mat& hq,
               const cv::Mat& alpha, bool last_use) {
    PairRecord r;
    const fs::path src(item.source);
    const std::string stem =
        item.frame >= 0 ? (src.parent_path() / io::frame_name(src.filename().string(), item.frame))
                              .generic_string()
                        : fs::path(src).replace_extension().generic_string();
    r.name = pair_name(stem, tile, config_.gt_size > 0, variant, config_.variants);
    const fs::path out(options_.output);
    const fs::path meta = out / "meta" / (r.name + ".json");
    if (fs::exists(meta)) {
      ++counts_.pairs_already_done;
      return 0;
    }
    std::string seed_key = item.source;
    if (item.frame >= 0) seed_key += "#f" + std::to_string(item.frame);
    if (config_.gt_size > 0) seed_key += "#s" + std::to_string(tile);
    r.input_root = root_, r.source = item.source, r.crop = crop, r.variant = variant;
    r.seed = derive_seed(seed_, seed_key, static_cast<uint64_t>(variant));
    r.scale = config_.scale, r.alpha = config_.alpha, r.background = config_.background;
    r.depth = config_.depth;
    r.frame = item.frame;
    if (item.video_source) r.video_source = *item.video_source;
    std::vector<cv::Mat> next;
    for (const cv::Mat& f : item.next)
      if (f.size() == item.rgb.size()) next.push_back(f(crop));
    r.next_frames = static_cast<int>(next.size());
    PairOutput p = last_use && next.empty()
                       ? make_pair_in_place(config_, cv::Mat(hq), alpha, r.seed)
                       : make_pair(config_, hq, alpha, r.seed, next);
    r.steps = std::move(p.steps);
    // HQ and LQ first, the record last: a record on disk means the pair is complete.
    const bool hq_quantised = !p.hq8.empty() && config_.depth == 8 && p.hq_alpha.empty();
    io::write_png_atomic((out / "hq" / (r.name + ".png")).string(), hq_quantised ? p.hq8 : p.hq,
                         p.hq_alpha, config_.depth, options_.png_compression);
    io::write_png_atomic((out / "lq" / (r.name + ".png")).string(), p.lq, p.lq_alpha, config_.depth,
                         options_.png_compression);
    io::write_file_atomic(meta.string(), to_json(r).dump() + "\n");
    ++counts_.pairs_written;
    return 1;
  }

  const DegradeConfig& config_;
  const JobOptions& options_;
  uint64_t seed_;
  std::string root_;
  bool input_is_file_ = false;
  io::FrameSelection selection_;
  io::SourceOptions source_;  // fields, HDR, crop, SAR of video inputs
  std::string source_json_;   // the same, as the manifest records it
  int context_frames_ = 0;
  Progress* progress_ = nullptr;
  // Workers count here; the summary is filled once they are joined.
  struct Counters {
    std::atomic<int64_t> pairs_written{0}, pairs_already_done{0}, tiles_flat{0}, unreadable{0},
        video_frames{0}, video_warnings{0};
  } counts_;
  JobSummary summary_;
};

// Frames stay in the heap between pairs (core/heap.h), and in one arena: glibc gives every
// thread its own, whose 64 MB heaps are unmapped and mapped again as frames come and go (101k
// page faults per 10 realesrgan pairs instead of 38k). The job's threads allocate a few large
// buffers per frame, so they hardly ever wait for the lock.
void keep_frame_buffers_mapped() {
  keep_freed_buffers_in_heap();
  mallopt(M_ARENA_MAX, 1);
}

// OpenCV's core links LAPACK, which Debian resolves to OpenBLAS; its pthread build starts a
// worker per core at load time, and each spins in sched_yield for ~2^28 cycles (~0.1 s of a core)
// before it sleeps. The engine makes no BLAS calls, so the workers are stopped; OpenBLAS starts
// them again by itself if something calls it later.
void stop_idle_blas_workers() {
  using Shutdown = int (*)();
  if (auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_")))
    shutdown();
}

}  // namespace

JobSummary run_degrade_job(const DegradeConfig& config, const JobOptions& options) {
  if (options.threads < 1) throw Error("--threads must be at least 1");
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count)
    throw Error("--shard must be i/N with 0 <= i < N");
  cv::setNumThreads(1);  // our threads are the parallelism; keeps `--threads N` honest
  keep_frame_buffers_mapped();
  stop_idle_blas_workers();
  return Job(config, options).run();
}

RecordedSource read_recorded_source(const PairRecord& r, const std::string& root_override) {
  const std::string root = root_override.empty() ? r.input_root : root_override;
  const std::string path = fs::is_regular_file(root) ? root : (fs::path(root) / r.source).string();
  io::Image img;
  std::vector<cv::Mat> next;
  if (r.frame >= 0) {
    // Every frame, so the recorded number is reached exactly; fields, HDR, crop and SAR as the
    // job had them. Records from before they were recorded: frames as decoded, as then.
    io::SourceOptions source;
    if (r.video_source.empty()) {
      source.fields = io::FieldMode::kProgressive, source.hdr = io::HdrMode::kKeep;
      source.crop = io::CropMode::kNone;
    } else {
      source = io::source_options_from_json(r.video_source);
    }
    io::VideoReader reader(path, {}, source);
    io::VideoFrame f;
    std::vector<cv::Mat> following;
    bool found = false;
    while (reader.next(f, &following, r.next_frames))
      if (f.index == r.frame) {
        found = true;
        break;
      }
    if (!found) throw InputError("'" + path + "' has no frame " + std::to_string(r.frame));
    img.rgb = f.rgb;
    next = following;
  } else {
    img = io::read_image(path);
  }
  if ((r.crop & cv::Rect(0, 0, img.rgb.cols, img.rgb.rows)) != r.crop)
    throw InputError("'" + path + "' no longer holds the recorded crop (changed since the run?)");
  RecordedSource out;
  out.hq = img.rgb(r.crop);
  if (!img.alpha.empty()) out.alpha = img.alpha(r.crop);
  for (const cv::Mat& m : next)
    if (static_cast<int>(out.next.size()) < r.next_frames) out.next.push_back(m(r.crop));
  if (static_cast<int>(out.next.size()) != r.next_frames)
    throw InputError("'" + path + "' ends before the recorded following frames of frame " +
                     std::to_string(r.frame));
  return out;
}

int context_frames_needed(const DegradeConfig& config) {
  return context_frames_for(config);
}

size_t rebuild_manifest(const std::string& out_dir) {
  const fs::path meta = fs::path(out_dir) / "meta";
  std::vector<std::pair<std::string, std::string>> records;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(meta, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".json") continue;
    std::ifstream f(it->path());
    std::string line;
    std::getline(f, line);
    if (line.empty()) continue;
    const std::string name = fs::relative(it->path(), meta).replace_extension().generic_string();
    records.emplace_back(name, line);
  }
  std::sort(records.begin(), records.end());
  std::string text;
  for (const auto& r : records) text += r.second + "\n";
  io::write_file_atomic((fs::path(out_dir) / "manifest.jsonl").string(), text);
  return records.size();
}

}  // namespace pf::degrade

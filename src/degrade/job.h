// `pairforge degrade`: reads HQ images, makes pairs on N threads, writes OUT/hq, OUT/lq and
// OUT/manifest.jsonl. Resumable (finished pairs are skipped), atomic (temp + rename), shardable.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "degrade/config.h"

namespace pf::degrade {

struct JobOptions {
  std::string input;   // a folder (searched recursively), an image or a video file
  std::string output;  // OUT folder
  int threads = 1;
  std::optional<uint64_t> seed;  // overrides the config's seed
  int shard_index = 0, shard_count = 1;
  bool progress_bar = false;  // a bar (terminal) instead of log lines
  int png_compression = 1;    // io/png_writer.h's level (kPngCompressionDefault) of the PNGs
};

struct JobSummary {
  int64_t inputs = 0;  // inputs of this shard
  int64_t pairs_written = 0;
  int64_t pairs_already_done = 0;  // found finished from an earlier run
  int64_t tiles_flat = 0;          // skipped by flat_threshold
  int64_t unreadable = 0;          // inputs skipped with a warning
  int64_t video_frames = 0;        // frames selected from video inputs
  int64_t video_warnings = 0;      // decode errors met in videos (truncated/corrupt data)
  bool interrupted = false;
  double seconds = 0;
};

// Inputs (images and videos) relative to `input` (sorted), or the file name itself when `input`
// is a file. Throws InputError when the folder is missing or holds no image or video.
std::vector<std::string> list_inputs(const std::string& input);
// The same; an entry that cannot be examined (a symlink loop, a dangling link) is warned about
// and added to `skipped` instead of failing the whole listing.
std::vector<std::string> list_inputs(const std::string& input, std::vector<std::string>* skipped);

JobSummary run_degrade_job(const DegradeConfig& config, const JobOptions& options);

// The recorded source of a pair, decoded again for --replay: the cropped HQ (+ alpha) and, for
// a video frame, the recorded number of following frames. `root` overrides the recorded
// input root ("" keeps it). Throws InputError when the source changed or vanished.
struct RecordedSource {
  cv::Mat hq, alpha;
  std::vector<cv::Mat> next;
};
struct PairRecord;
RecordedSource read_recorded_source(const PairRecord& record, const std::string& root);

// Collects OUT/meta/**.json into OUT/manifest.jsonl (sorted by name, atomic).
size_t rebuild_manifest(const std::string& out_dir);

// HQ tiles of an image of `size`: the whole (scale-aligned) image when gt_size is 0, else a grid
// of gt_size squares every `step` pixels plus edge-aligned ones so the whole image is covered.
std::vector<cv::Rect> tile_grid(cv::Size size, int scale, int gt_size, int step);

// Output name of one pair (without extension) from the name stem of its source: the image's
// relative path without extension, or `<video-stem>_<frame-number>` for a video frame.
std::string pair_name(const std::string& stem, int tile, bool tiled, int variant, int variants);

// How many following frames the pipeline wants from video sources (0 when no operator uses
// them: then frames are decoded one at a time).
int context_frames_needed(const DegradeConfig& config);

}  // namespace pf::degrade

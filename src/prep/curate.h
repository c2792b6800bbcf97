// `pairforge curate`: score every image (or every tile) of a set with the measures of
// prep/measure.h, drop near-duplicates, keep what passes the thresholds and/or the K most complex
// tiles of each image, and write the kept ones, scores.jsonl and the page's thumbnails.
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "prep/dedup.h"

namespace pf::prep {

struct CurateOptions {
  std::string input;   // a folder (read recursively) or one image
  std::string output;  // OUT: images/, thumbs/, scores.jsonl, kept.txt
  int tile = 0;        // 0: whole images
  int stride = 0;      // 0: the tile size
  int top = 0;         // > 0: at most this many tiles per image, the most complex
  // Per measure, in measures() order: the --min-/--max- value (NaN: no threshold). Empty: the
  // table's defaults.
  std::vector<double> thresholds;
  bool use_thresholds = true;
  bool dedup = true;
  DedupOptions dedup_options;
  bool dry_run = false;  // decide and report, write no images
  int threads = 0;       // 0: all cores
  int thumb_size = 160;  // longest side of the page's thumbnails; 0: none
  bool progress = false;
};

// One line of scores.jsonl: an image, or a tile of one.
struct Record {
  std::string source;  // relative to the input, '/'-separated
  bool tile = false;
  cv::Rect rect;               // the tile, or the whole image
  std::vector<double> scores;  // measures() order; empty when the file could not be read
  bool kept = false;
  std::vector<std::string> reasons;  // why it was rejected
  std::string duplicate_of;          // the source kept in its place
  std::string output;                // relative to OUT: the file written (or, --dry-run, not)
  std::string thumb;                 // relative to OUT; empty without one
};

nlohmann::json to_json(const Record& r);
Record record_from_json(const nlohmann::json& j);
void write_scores(const std::string& path, const std::vector<Record>& records);
std::vector<Record> read_scores(const std::string& path);

struct CurateResult {
  std::vector<Record> records;  // input order, then tile order (row-major)
  int images = 0, unreadable = 0, kept = 0, written = 0;
  // SIGINT/SIGTERM (core/interrupt.h): while scoring, records is empty and nothing was written;
  // while writing, scores.jsonl is whole and the images written are, a rerun writes the rest.
  bool interrupted = false;
};

CurateResult curate(const CurateOptions& o);

// The pieces of curate(), for the tests.
std::vector<cv::Rect> tile_grid(cv::Size image, int tile, int stride);
// Why `scores` fail `thresholds` (one entry per failed measure, "complexity 1.2 < 2").
std::vector<std::string> threshold_reasons(const std::vector<double>& scores,
                                           const std::vector<double>& thresholds);
// The table's default thresholds.
std::vector<double> default_thresholds();
// Marks every tile of `records` (one image's) beyond the `top` most complex of those still kept.
void keep_top_tiles(std::vector<Record>& records, int top);

}  // namespace pf::prep

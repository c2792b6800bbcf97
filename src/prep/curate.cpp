#include "prep/curate.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "io/image.h"
#include "io/lazy_imgcodecs.h"
#include "prep/measure.h"

namespace fs = std::filesystem;

namespace pf::prep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> list_images(const fs::path& input, const fs::path& output) {
  std::vector<std::string> files;
  if (fs::is_regular_file(input)) return {input.filename().generic_string()};
  if (!fs::is_directory(input)) throw InputError(input.string() + ": no such image or folder");
  const fs::path out_abs = fs::weakly_canonical(output);
  for (auto it =
           fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && fs::weakly_canonical(it->path()) == out_abs) {
      it.disable_recursion_pending();  // OUT inside IN: not our own outputs
      continue;
    }
    if (it->is_regular_file() && io::is_image_file(it->path().string()))
      files.push_back(it->path().lexically_relative(input).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string output_name(const std::string& source, const Record& r) {
  fs::path p(source);
  std::string stem = p.stem().string();
  if (r.tile) stem += fmt::format("_x{}_y{}", r.rect.x, r.rect.y);
  return (fs::path("images") / p.parent_path() / (stem + ".png")).generic_string();
}

void write_thumb(const cv::Mat& rgb, const fs::path& path, int size) {
  const double f = static_cast<double>(size) / std::max(rgb.cols, rgb.rows);
  cv::Mat small = rgb;
  if (f < 1)
    cv::resize(rgb, small,
               cv::Size(std::max(1, static_cast<int>(std::lround(rgb.cols * f))),
                        std::max(1, static_cast<int>(std::lround(rgb.rows * f)))),
               0, 0, cv::INTER_AREA);
  std::vector<uint8_t> jpeg;
  if (!io::imencode_lazy(".jpg", io::to_bgr_u8(small), jpeg, {1 /*IMWRITE_JPEG_QUALITY*/, 85}))
    throw IoError(path.string() + ": cannot encode the thumbnail");
  io::write_file_atomic(path.string(), jpeg);
}

// Runs job(i) for i in [0, n) on `threads` threads; the first exception is rethrown.
template <class F>
void parallel_for(size_t n, int threads, F job) {
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex m;
  auto work = [&] {
    for (size_t i; (i = next++) < n;) {
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!failure) failure = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// What pass 1 learns of one image.
struct Scored {
  std::vector<Record> records;
  DedupItem dedup;
  bool readable = false;
};

}  // namespace

std::vector<double> default_thresholds() {
  std::vector<double> t;
  for (const auto& m : measures())
    t.push_back(m.direction == Direction::kInfo ? kNaN : m.threshold);
  return t;
}

std::vector<cv::Rect> tile_grid(cv::Size image, int tile, int stride) {
  std::vector<cv::Rect> out;
  if (tile <= 0 || image.width < tile || image.height < tile) return out;
  if (stride <= 0) stride = tile;
  for (int y = 0; y + tile <= image.height; y += stride)
    for (int x = 0; x + tile <= image.width; x += stride) out.emplace_back(x, y, tile, tile);
  return out;
}

std::vector<std::string> threshold_reasons(const std::vector<double>& scores,
                                           const std::vector<double>& thresholds) {
  std::vector<std::string> out;
  const auto& t = measures();
  for (size_t i = 0; i < t.size() && i < scores.size() && i < thresholds.size(); ++i) {
    const double v = scores[i], lim = thresholds[i];
    if (std::isnan(lim)) continue;
    if (t[i].direction == Direction::kHigherIsBetter && v < lim)
      out.push_back(fmt::format("{} {:.4g} < {:g}", t[i].name, v, lim));
    else if (t[i].direction == Direction::kLowerIsBetter && v > lim)
      out.push_back(fmt::format("{} {:.4g} > {:g}", t[i].name, v, lim));
  }
  return out;
}

void keep_top_tiles(std::vector<Record>& records, int top) {
  if (top <= 0) return;
  const size_t c = measure_index("complexity");
  std::vector<Record*> alive;
  for (auto& r : records)
    if (r.tile && r.reasons.empty() && !r.scores.empty()) alive.push_back(&r);
  std::stable_sort(alive.begin(), alive.end(),
                   [c](const Record* a, const Record* b) { return a->scores[c] > b->scores[c]; });
  for (size_t i = static_cast<size_t>(top); i < alive.size(); ++i)
    alive[i]->reasons.push_back(fmt::format("not among the {} most complex tiles", top));
}

namespace {

// Fields in a fixed order, scores in the table's (the file is read by people too).
template <class Json>
Json record_json(const Record& r) {
  Json j;
  j["source"] = r.source;
  j["tile"] = r.tile;
  j["x"] = r.rect.x, j["y"] = r.rect.y, j["w"] = r.rect.width, j["h"] = r.rect.height;
  Json s = Json::object();
  const auto& t = measures();
  for (size_t i = 0; i < t.size() && i < r.scores.size(); ++i)
    s[t[i].name] = std::isfinite(r.scores[i]) ? Json(r.scores[i]) : Json();
  j["scores"] = s;
  j["kept"] = r.kept;
  j["reasons"] = r.reasons;
  if (!r.duplicate_of.empty()) j["duplicate_of"] = r.duplicate_of;
  if (!r.output.empty()) j["output"] = r.output;
  if (!r.thumb.empty()) j["thumb"] = r.thumb;
  return j;
}

}  // namespace

nlohmann::json to_json(const Record& r) {
  return record_json<nlohmann::json>(r);
}

Record record_from_json(const nlohmann::json& j) {
  Record r;
  r.source = j.at("source").get<std::string>();
  r.tile = j.at("tile").get<bool>();
  r.rect = cv::Rect(j.at("x").get<int>(), j.at("y").get<int>(), j.at("w").get<int>(),
                    j.at("h").get<int>());
  const auto& s = j.at("scores");
  if (!s.empty())
    for (const auto& m : measures()) {
      const auto it = s.find(m.name);
      r.scores.push_back(it == s.end() || it->is_null() ? kNaN : it->get<double>());
    }
  r.kept = j.at("kept").get<bool>();
  r.reasons = j.at("reasons").get<std::vector<std::string>>();
  r.duplicate_of = j.value("duplicate_of", "");
  r.output = j.value("output", "");
  r.thumb = j.value("thumb", "");
  return r;
}

void write_scores(const std::string& path, const std::vector<Record>& records) {
  std::string text;
  for (const auto& r : records) text += record_json<nlohmann::ordered_json>(r).dump() + "\n";
  io::write_file_atomic(path, text);
}

std::vector<Record> read_scores(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read");
  std::vector<Record> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    try {
      out.push_back(record_from_json(nlohmann::json::parse(line)));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("{}:{}: {}", path, n, e.what()));
    }
  }
  return out;
}

CurateResult curate(const CurateOptions& o) {
  const auto& table = measures();
  const std::vector<double> thresholds = o.thresholds.empty() ? default_thresholds() : o.thresholds;
  if (thresholds.size() != table.size()) throw Error("curate: one threshold per measure");
  if (o.top > 0 && o.tile <= 0)
    throw Error("--top keeps the best tiles of each image: give --tile SIZE", ExitCode::kUsage);

  const fs::path input(o.input), out(o.output);
  const bool single = fs::is_regular_file(input);
  const std::vector<std::string> files = list_images(input, out);
  if (files.empty()) throw InputError(o.input + ": no images");
  const fs::path base = single ? input.parent_path() : input;
  try {
    fs::create_directories(out);
    if (o.thumb_size > 0) fs::create_directories(out / "thumbs");
  } catch (const fs::filesystem_error& e) {
    throw IoError(out.string() + ": cannot create (" + e.what() + ")");
  }
  const int threads = std::max(
      1, o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency()));

  // Pass 1: read, score, hash, thumbnails.
  std::vector<Scored> scored(files.size());
  std::mutex bar_mutex;
  Progress bar("curate", static_cast<int64_t>(files.size()), o.progress, "images", "images");
  parallel_for(files.size(), threads, [&](size_t i) {
    if (interrupted()) return;
    Scored& s = scored[i];
    const std::string& rel = files[i];
    io::Image img;
    try {
      img = io::read_image((base / rel).string());
    } catch (const InputError& e) {
      spdlog::warn("skipped: {}", e.what());
      Record r;
      r.source = rel;
      r.reasons.push_back(std::string("unreadable: ") + e.what());
      s.records.push_back(r);
      std::lock_guard<std::mutex> lock(bar_mutex);
      bar.advance(1, 0);
      return;
    }
    s.readable = true;
    const cv::Mat luma = luma8(img.rgb);
    const Planes whole(luma);
    const std::vector<double> image_scores = score_all(whole);
    if (o.dedup) {
      s.dedup = dedup_item(luma);
      s.dedup.quality = image_scores[measure_index("complexity")];
      s.dedup.tiebreak = image_scores[measure_index("sharpness")];
    }
    const auto tiles = tile_grid(img.rgb.size(), o.tile, o.stride);
    if (o.tile <= 0 || tiles.empty()) {
      Record r;
      r.source = rel;
      r.rect = cv::Rect(0, 0, img.rgb.cols, img.rgb.rows);
      r.scores = image_scores;
      if (o.tile > 0) r.reasons.push_back(fmt::format("smaller than the {} px tile", o.tile));
      s.records.push_back(std::move(r));
    } else {
      for (const auto& t : tiles) {
        Record r;
        r.source = rel;
        r.tile = true;
        r.rect = t;
        r.scores = score_all(whole.tile(t));
        s.records.push_back(std::move(r));
      }
    }
    for (size_t k = 0; k < s.records.size(); ++k) {
      Record& r = s.records[k];
      if (o.thumb_size <= 0) continue;
      r.thumb = fmt::format("thumbs/{:06}_{:04}.jpg", i, k);
      write_thumb(img.rgb(r.rect), out / r.thumb, o.thumb_size);
    }
    std::lock_guard<std::mutex> lock(bar_mutex);
    bar.advance(1, 1);
  });
  bar.finish();
  CurateResult result;
  if (interrupted()) {  // the scores are incomplete: nothing to decide on, nothing written
    result.interrupted = true;
    return result;
  }

  // Near-duplicates across the set.
  if (o.dedup) {
    std::vector<DedupItem> items;
    std::vector<size_t> which;
    for (size_t i = 0; i < scored.size(); ++i)
      if (scored[i].readable) items.push_back(scored[i].dedup), which.push_back(i);
    const auto rep = find_duplicates(items, o.dedup_options);
    for (size_t k = 0; k < items.size(); ++k) {
      if (rep[k] == k) continue;
      const std::string& kept = files[which[rep[k]]];
      for (auto& r : scored[which[k]].records) {
        r.duplicate_of = kept;
        r.reasons.push_back("near-duplicate of " + kept);
      }
    }
  }

  // Thresholds, best tiles, output names.
  for (size_t i = 0; i < scored.size(); ++i) {
    auto& recs = scored[i].records;
    ++result.images;
    if (!scored[i].readable) {
      ++result.unreadable;
    } else {
      for (auto& r : recs)
        if (o.use_thresholds) {
          auto why = threshold_reasons(r.scores, thresholds);
          r.reasons.insert(r.reasons.end(), why.begin(), why.end());
        }
      keep_top_tiles(recs, o.top);
    }
    for (auto& r : recs) {
      r.kept = r.reasons.empty();
      if (r.kept) r.output = output_name(files[i], r), ++result.kept;
    }
  }

  // Pass 2: the kept images and tiles (already written ones are kept: a rerun resumes).
  if (!o.dry_run) {
    std::atomic<int> written{0};
    parallel_for(scored.size(), threads, [&](size_t i) {
      if (interrupted()) return;  // what is written is whole: a rerun writes the rest
      const auto& recs = scored[i].records;
      std::vector<const Record*> todo;
      for (const auto& r : recs)
        if (r.kept && !fs::exists(out / r.output)) todo.push_back(&r);
      if (todo.empty()) return;
      const io::Image img = io::read_image((base / files[i]).string());
      for (const Record* r : todo) {
        std::error_code ec;
        fs::create_directories((out / r->output).parent_path(), ec);
        if (ec) throw IoError((out / r->output).parent_path().string() + ": " + ec.message());
        const cv::Mat alpha = img.alpha.empty() ? cv::Mat() : img.alpha(r->rect);
        io::write_png_atomic((out / r->output).string(), img.rgb(r->rect), alpha,
                             img.bit_depth > 8 ? 16 : 8);
        ++written;
      }
    });
    result.written = written;
    result.interrupted = interrupted();
  }

  for (auto& s : scored)
    for (auto& r : s.records) result.records.push_back(std::move(r));
  write_scores((out / "scores.jsonl").string(), result.records);
  std::string list;
  for (const auto& r : result.records)
    if (r.kept) list += r.output + "\n";
  io::write_file_atomic((out / "kept.txt").string(), list);
  return result;
}

}  // namespace pf::prep

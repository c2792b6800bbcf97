#include "pages/report_page.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "core/error.h"
#include "io/image.h"
#include "pages/page_util.h"
#include "pages/train_log.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf::pages {
namespace {

json optional_number(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Writes only when the text differs, so an open page is not handed a half-new file for nothing.
void write_if_changed(const fs::path& file, const std::string& text) {
  std::error_code ec;
  if (fs::exists(file, ec) && read_text(file) == text) return;
  io::write_file_atomic(file.string(), text);
}

// A PNG's size from its header (bytes 16..23 of IHDR); 0x0 when `bytes` is not a PNG.
std::pair<int, int> png_size(const unsigned char* b, size_t n) {
  static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (n < 24 || !std::equal(kSig, kSig + 8, b)) return {0, 0};
  auto be32 = [&](size_t i) {
    return static_cast<int>((uint32_t(b[i]) << 24) | (uint32_t(b[i + 1]) << 16) |
                            (uint32_t(b[i + 2]) << 8) | uint32_t(b[i + 3]));
  };
  return {be32(16), be32(20)};
}

// The charts' series: one array per key, null where a line lacks the key.
template <typename Point, typename Get>
json column(const std::vector<const Point*>& points, Get get) {
  json out = json::array();
  for (const Point* p : points) out.push_back(optional_number(get(*p)));
  return out;
}

template <typename Point>
json keyed_columns(const std::vector<const Point*>& points,
                   std::map<std::string, double> Point::*member) {
  std::set<std::string> keys;
  for (const Point* p : points)
    for (const auto& [k, v] : p->*member) keys.insert(k);
  json out = json::object();
  for (const auto& key : keys)
    out[key] = column(points, [&](const Point& p) -> std::optional<double> {
      const auto it = (p.*member).find(key);
      return it == (p.*member).end() ? std::nullopt : std::optional<double>(it->second);
    });
  return out;
}

template <typename Point>
json iterations(const std::vector<const Point*>& points) {
  json out = json::array();
  for (const Point* p : points) out.push_back(p->iter);
  return out;
}

// The latest line of each iteration, in iteration order: a resumed run logs some iterations
// again, and its newer numbers are the ones that hold.
template <typename Point>
std::vector<const Point*> by_iteration(const std::vector<Point>& points) {
  std::map<int64_t, const Point*> latest;
  for (const auto& p : points) latest[p.iter] = &p;
  std::vector<const Point*> out;
  for (const auto& [iter, p] : latest) out.push_back(p);
  return out;
}

}  // namespace

ReportPage::ReportPage(fs::path run_dir, fs::path out_dir)
    : run_dir_(std::move(run_dir)),
      out_dir_(out_dir.empty() ? run_dir_ / "report" : std::move(out_dir)),
      log_path_(run_dir_ / "train_log.jsonl") {
  if (!fs::is_regular_file(log_path_))
    throw InputError(log_path_.string() + ": no training log (is " + run_dir_.string() +
                     " a run folder, experiments/<name>/?)");
  if (page_asset("uplot.js").empty())
    throw Error(
        "this pairforge was built without the chart library (tools/node_modules/uplot): run "
        "scripts/install-deps.sh, then rebuild");
  std::error_code ec;
  fs::create_directories(out_dir_, ec);
  if (ec || !fs::is_directory(out_dir_))
    throw IoError(out_dir_.string() + ": cannot create the report folder (" + ec.message() + ")");
}

bool ReportPage::log_changed() const {
  std::error_code ec;
  const auto size = fs::file_size(log_path_, ec);
  const auto time = fs::last_write_time(log_path_, ec);
  return !ec && std::make_pair(size, time) != log_stamp_;
}

void ReportPage::warn_once(const std::string& message) {
  if (warned_.insert(message).second) spdlog::warn("{}", message);
}

ReportPage::Size ReportPage::image_size(const fs::path& file) {
  std::error_code ec;
  const auto time = fs::last_write_time(file, ec);
  const auto key = file.string();
  if (const auto it = sizes_.find(key); it != sizes_.end() && it->second.first == time)
    return it->second.second;
  Size size;
  std::ifstream in(file, std::ios::binary);
  unsigned char head[24] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  std::tie(size.w, size.h) = png_size(head, static_cast<size_t>(in.gcount()));
  if (size.w == 0) {
    const auto image = io::read_image(key).rgb;
    size = {image.cols, image.rows};
  }
  sizes_[key] = {time, size};
  return size;
}

std::string ReportPage::place(const fs::path& file, const std::string& relative_stem) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    warn_once(file.string() + ": validation image missing, left out of the report");
    return {};
  }
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (!browser_shows(file)) {
    warn_once(file.string() + ": browsers cannot show this format, left out of the report");
    return {};
  }
  const std::string relative = relative_stem + ext;
  place_file(file, out_dir_ / relative);
  return relative;
}

ReportPage::Summary ReportPage::update() {
  std::error_code ec;
  log_stamp_ = {fs::file_size(log_path_, ec), fs::last_write_time(log_path_, ec)};
  const TrainLog log = read_train_log(log_path_);
  for (const auto& w : log.warnings) warn_once(w);

  const auto train = by_iteration(log.train);
  const auto val = by_iteration(log.val);
  json data;
  fs::path run = fs::absolute(run_dir_, ec).lexically_normal();
  if (run.filename().empty()) run = run.parent_path();
  data["title"] = run.filename().string();
  data["run_dir"] = run.string();
  data["generated"] =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  data["train"] = {
      {"iter", iterations(train)},
      {"lr", column(train, [](const TrainPoint& p) { return p.lr; })},
      {"it_per_s", column(train, [](const TrainPoint& p) { return p.it_per_s; })},
      {"data_wait_share", column(train, [](const TrainPoint& p) { return p.data_wait_share; })},
      {"losses", keyed_columns(train, &TrainPoint::losses)}};
  if (!log.train.empty()) {
    const TrainPoint& last = log.train.back();  // the latest line, also after a resume
    data["last"] = {{"iter", last.iter},
                    {"time", optional_number(last.time)},
                    {"elapsed_s", optional_number(last.elapsed_s)},
                    {"eta_s", optional_number(last.eta_s)},
                    {"it_per_s", optional_number(last.it_per_s)}};
  }
  data["val"] = {{"iter", iterations(val)}, {"metrics", keyed_columns(val, &ValPoint::metrics)}};

  // The viewer: LQ and HQ, then every validated iteration, newest first (keys 3, 4, ...).
  json versions =
      json::array({{{"label", "LQ"}, {"kind", "lq"}}, {{"label", "HQ"}, {"kind", "hq"}}});
  for (auto it = val.rbegin(); it != val.rend(); ++it)
    versions.push_back({{"label", "iter " + std::to_string((*it)->iter)},
                        {"kind", "output"},
                        {"iter", (*it)->iter}});
  std::vector<std::string> names;
  std::map<std::string, const ValImage*> latest;  // per name: its latest lq/gt paths
  for (const ValPoint* p : val)
    for (const auto& im : p->images) {
      if (!latest.count(im.name)) names.push_back(im.name);
      latest[im.name] = &im;
    }
  json images = json::array();
  for (const auto& name : names) {
    const std::string folder = "img/" + safe_file_name(name) + "/";
    const ValImage& paths = *latest[name];
    json entries = json::array();
    std::vector<std::pair<fs::path, std::string>> files;  // source, stem in the page
    files.emplace_back(paths.lq.empty() ? fs::path() : resolve_logged_path(paths.lq, run_dir_),
                       folder + "lq");
    files.emplace_back(paths.gt.empty() ? fs::path() : resolve_logged_path(paths.gt, run_dir_),
                       folder + "gt");
    std::vector<const ValImage*> outputs;
    for (auto it = val.rbegin(); it != val.rend(); ++it) {
      const ValImage* found = nullptr;
      for (const auto& im : (*it)->images)
        if (im.name == name) found = &im;
      outputs.push_back(found);
      files.emplace_back(found ? run_dir_ / found->output : fs::path(),
                         folder + "iter_" + std::to_string((*it)->iter));
    }
    // The output size is HQ's, else the largest version's; smaller ones (LQ) are upscaled.
    std::vector<std::string> srcs;
    std::vector<Size> sizes;
    for (const auto& [source, stem] : files) {
      srcs.push_back(source.empty() ? std::string() : place(source, stem));
      sizes.push_back(srcs.back().empty() ? Size{} : image_size(source));
    }
    Size frame = sizes[1];
    if (frame.w == 0)
      for (const Size& s : sizes)
        if (int64_t(s.w) * s.h > int64_t(frame.w) * frame.h) frame = s;
    for (size_t i = 0; i < files.size(); ++i) {
      if (srcs[i].empty() || frame.w == 0) {
        entries.push_back(nullptr);
        continue;
      }
      json entry = {{"src", srcs[i]}, {"scale", double(frame.w) / sizes[i].w}};
      if (i >= 2) {
        const ValImage* im = outputs[i - 2];
        json q = json::object();
        if (im->psnr) q["psnr"] = *im->psnr;
        if (im->ssim) q["ssim"] = *im->ssim;
        if (!q.empty()) entry["q"] = q;
      }
      entries.push_back(entry);
    }
    images.push_back({{"name", name}, {"w", frame.w}, {"h", frame.h}, {"v", entries}});
  }
  data["viewer"] = {{"title", data["title"]}, {"versions", versions}, {"images", images}};

  write_if_changed(out_dir_ / "index.html",
                   fill_template(page_asset("report.html"),
                                 {{"title", html_escape(data["title"].get<std::string>())},
                                  {"uplot.css", std::string(page_asset("uplot.css"))},
                                  {"uplot.js", std::string(page_asset("uplot.js"))},
                                  {"uplot.license", std::string(page_asset("uplot.license"))},
                                  {"viewer.css", std::string(page_asset("viewer.css"))},
                                  {"viewer.js", std::string(page_asset("viewer.js"))},
                                  {"report.js", std::string(page_asset("report.js"))}}));
  io::write_file_atomic((out_dir_ / "data.js").string(), "pfReport(" + script_json(data) + ");\n");

  Summary s;
  s.train_points = train.size(), s.val_points = val.size(), s.images = names.size();
  if (!train.empty()) s.last_iter = train.back()->iter;
  if (!val.empty()) s.last_iter = std::max(s.last_iter, val.back()->iter);
  return s;
}

}  // namespace pf::pages

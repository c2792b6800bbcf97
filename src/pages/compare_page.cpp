#include "pages/compare_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "io/image.h"
#include "pages/page_util.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf::pages {
namespace {

const char* kind_name(VersionKind kind) {
  switch (kind) {
    case VersionKind::kLq:
      return "lq";
    case VersionKind::kHq:
      return "hq";
    default:
      return "output";
  }
}

json quality_json(const io::Quality& q) {
  return {{"psnr", q.psnr_rgb}, {"ssim", q.ssim_rgb}, {"psnr_y", q.psnr_y}, {"ssim_y", q.ssim_y}};
}

}  // namespace

ComparePage::ComparePage(std::string dir, std::string title, std::vector<Version> versions,
                         int crop)
    : dir_(std::move(dir)),
      title_(std::move(title)),
      versions_(std::move(versions)),
      crop_(crop),
      sums_(versions_.size(), io::Quality{0, 0, 0, 0}),
      counts_(versions_.size(), 0) {
  if (std::count_if(versions_.begin(), versions_.end(),
                    [](const Version& v) { return v.kind == VersionKind::kHq; }) > 1)
    throw Error("a comparison page has at most one HQ version");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_))
    throw IoError(dir_ + ": cannot create the page folder (" + ec.message() + ")");
}

void ComparePage::add(const std::string& name, std::vector<std::optional<Picture>> pictures) {
  if (pictures.size() != versions_.size())
    throw Error(fmt::format("comparison page: {} pictures for {} versions", pictures.size(),
                            versions_.size()));
  // Every picture's pixels: the size check and the metrics need them.
  std::vector<std::string> where(pictures.size());
  int hq = -1;
  for (size_t v = 0; v < pictures.size(); ++v) {
    if (!pictures[v]) continue;
    where[v] =
        pictures[v]->file.empty() ? name + " (" + versions_[v].label + ")" : pictures[v]->file;
    if (pictures[v]->rgb.empty()) pictures[v]->rgb = io::read_image(pictures[v]->file).rgb;
    if (versions_[v].kind == VersionKind::kHq) hq = static_cast<int>(v);
  }
  cv::Size frame;
  for (const auto& p : pictures)
    if (p && static_cast<int64_t>(p->rgb.cols) * p->rgb.rows > frame.area()) frame = p->rgb.size();
  if (hq >= 0) frame = pictures[hq]->rgb.size();
  if (frame.area() == 0) throw InputError("comparison page: no version has the image " + name);

  const std::string folder = "img/" + safe_file_name(name);
  json entries = json::array();
  for (size_t v = 0; v < pictures.size(); ++v) {
    if (!pictures[v]) {
      entries.push_back(nullptr);
      continue;
    }
    const cv::Mat& rgb = pictures[v]->rgb;
    const int scale = frame.width / rgb.cols;
    if (frame.width % rgb.cols != 0 || frame.height % rgb.rows != 0 ||
        frame.height / rgb.rows != scale)
      throw InputError(fmt::format(
          "{}: {}x{} is neither the output size {}x{} ({}) nor an integer fraction of it", where[v],
          rgb.cols, rgb.rows, frame.width, frame.height,
          hq >= 0 ? "the HQ's" : "the largest version's"));

    const fs::path source = pictures[v]->file;
    const bool as_is = !source.empty() && browser_shows(source);
    std::string ext = as_is ? source.extension().string() : ".png";
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    const std::string src =
        folder + "/" + std::to_string(v + 1) + "-" + safe_file_name(versions_[v].label) + ext;
    if (as_is)
      place_file(source, fs::path(dir_) / src);
    else
      io::write_png_atomic((fs::path(dir_) / src).string(), rgb, cv::Mat(), 8);

    json entry = {{"src", src}, {"scale", scale}};
    if (hq >= 0 && static_cast<int>(v) != hq) {
      io::Quality q;
      if (pictures[v]->quality) {
        q = *pictures[v]->quality;
      } else {
        cv::Mat shown = rgb;  // as the page shows it: nearest-upscaled to the output size
        if (scale > 1) cv::resize(rgb, shown, frame, 0, 0, cv::INTER_NEAREST);
        q = io::measure_quality(shown, pictures[hq]->rgb, crop_);
      }
      entry["q"] = quality_json(q);
      sums_[v].psnr_rgb += q.psnr_rgb, sums_[v].ssim_rgb += q.ssim_rgb;
      sums_[v].psnr_y += q.psnr_y, sums_[v].ssim_y += q.ssim_y;
      ++counts_[v];
    }
    entries.push_back(entry);
  }
  images_.push_back({{"name", name}, {"w", frame.width}, {"h", frame.height}, {"v", entries}});
}

std::vector<std::optional<io::Quality>> ComparePage::means() const {
  std::vector<std::optional<io::Quality>> out(versions_.size());
  for (size_t v = 0; v < versions_.size(); ++v)
    if (counts_[v] > 0) {
      const double n = counts_[v];
      out[v] = io::Quality{sums_[v].psnr_rgb / n, sums_[v].ssim_rgb / n, sums_[v].psnr_y / n,
                           sums_[v].ssim_y / n};
    }
  return out;
}

std::string ComparePage::finish() {
  json versions = json::array();
  for (const auto& v : versions_)
    versions.push_back({{"label", v.label}, {"kind", kind_name(v.kind)}});
  const json data = {{"title", title_}, {"versions", versions}, {"images", images_}};
  const std::string html = fill_template(page_asset("compare.html"),
                                         {{"title", html_escape(title_)},
                                          {"viewer.css", std::string(page_asset("viewer.css"))},
                                          {"viewer.js", std::string(page_asset("viewer.js"))},
                                          {"data", script_json(data)}});
  const std::string path = (fs::path(dir_) / "index.html").string();
  io::write_file_atomic(path, html);
  return path;
}

}  // namespace pf::pages

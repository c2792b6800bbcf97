#include "lbo/rescale_search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "degrade/resample.h"

namespace pf::lbo {

namespace {

// Patches with fewer edge pixels than this share show too little structure to judge.
constexpr double kMinEdgeDensity = 0.02;

cv::Mat edge_map(const cv::Mat& rgb) {
  cv::Mat y8, edges;
  luma(rgb).convertTo(y8, CV_8U, 255.0);
  cv::Canny(y8, edges, 40, 90, 3, true);
  return edges;
}

// A text line on the sheet, black on white.
void put(cv::Mat& sheet, const std::string& text, int x, int y, double scale = 0.45) {
  cv::putText(sheet, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar::all(0), 1,
              cv::LINE_AA);
}

cv::Mat nearest(const cv::Mat& img, cv::Size size) {
  cv::Mat out;
  cv::resize(img, out, size, 0, 0, cv::INTER_NEAREST);
  return out;
}

}  // namespace

const std::vector<std::string>& rescale_filters() {
  static const std::vector<std::string> names = {"cv_lanczos4", "catmull_rom"};
  return names;
}

cv::Mat rescale(const cv::Mat& image, cv::Size size, const std::string& filter) {
  if (size == image.size()) return image.clone();
  if (filter == "cv_lanczos4") return degrade::resample_opencv(image, size, cv::INTER_LANCZOS4);
  if (filter == "catmull_rom")
    return degrade::resample(image, size, degrade::filter_by_name("catmull_rom"));
  throw Error("unknown rescaling filter '" + filter + "'");
}

cv::Mat pseudo_hr(const cv::Mat& lr, double factor, const UpscaleFn& up,
                  const std::string& filter) {
  const cv::Size small(std::max(1, static_cast<int>(std::lround(lr.cols * factor))),
                       std::max(1, static_cast<int>(std::lround(lr.rows * factor))));
  const cv::Mat input = rescale(lr, small, filter);
  const cv::Mat output = up(input);
  return rescale(output, cv::Size(2 * lr.cols, 2 * lr.rows), filter);
}

std::vector<double> factor_grid(double lo, double hi, double step) {
  std::vector<double> out;
  if (!(step > 0) || !(lo > 0) || hi > 1 || lo > hi) return out;
  for (int i = 0;; ++i) {
    const double f = std::round((lo + i * step) * 1e6) / 1e6;
    if (f > hi + 1e-9) break;
    out.push_back(f);
  }
  return out;
}

std::vector<PatchPlace> pick_patches(const std::vector<cv::Mat>& frames, int count, int size) {
  // Per frame: every patch position on a half-patch grid, densest first.
  std::vector<std::vector<PatchPlace>> per_frame(frames.size());
  for (size_t f = 0; f < frames.size(); ++f) {
    const cv::Mat& frame = frames[f];
    if (frame.cols < size || frame.rows < size) continue;
    cv::Mat integral;
    cv::integral(edge_map(frame) / 255, integral, CV_32S);
    const int stride = std::max(1, size / 2);
    for (int y = 0; y + size <= frame.rows; y += stride)
      for (int x = 0; x + size <= frame.cols; x += stride) {
        const int n = integral.at<int>(y + size, x + size) - integral.at<int>(y, x + size) -
                      integral.at<int>(y + size, x) + integral.at<int>(y, x);
        const double density = static_cast<double>(n) / (size * size);
        if (density >= kMinEdgeDensity)
          per_frame[f].push_back({static_cast<int>(f), cv::Rect(x, y, size, size), density});
      }
    std::stable_sort(
        per_frame[f].begin(), per_frame[f].end(),
        [](const PatchPlace& a, const PatchPlace& b) { return a.edge_density > b.edge_density; });
  }
  // Frames in turn, each giving its densest patch that overlaps none taken from it yet.
  std::vector<PatchPlace> picked;
  std::vector<size_t> next(frames.size(), 0);
  bool any = true;
  while (static_cast<int>(picked.size()) < count && any) {
    any = false;
    for (size_t f = 0; f < frames.size() && static_cast<int>(picked.size()) < count; ++f) {
      auto& list = per_frame[f];
      while (next[f] < list.size()) {
        const PatchPlace& c = list[next[f]++];
        const bool overlaps = std::any_of(picked.begin(), picked.end(), [&](const PatchPlace& p) {
          return p.frame == c.frame && (p.rect & c.rect).area() > 0;
        });
        if (overlaps) continue;
        picked.push_back(c);
        any = true;
        break;
      }
    }
  }
  if (picked.empty())
    throw InputError(fmt::format(
        "rescaling search: no {}x{} patch of the {} frame(s) has edges to measure (flat or "
        "too small frames?)",
        size, size, frames.size()));
  return picked;
}

SearchResult search_rescaling(const std::vector<cv::Mat>& frames, const UpscaleFn& up,
                              const SearchOptions& o) {
  if (o.factors.empty()) throw Error("rescaling search: no factor to try");
  SearchResult r;
  r.patches = pick_patches(frames, o.patches, o.patch_size);

  // Each patch goes to the model with context around it, so that the model's border effects
  // stay outside the measured crop; probes come from the LR window resized 2x.
  struct Window {
    cv::Mat lr;
    cv::Rect inner;  // the patch inside the window, LR pixels
    Probes probes;
  };
  std::vector<Window> windows;
  for (const auto& p : r.patches) {
    const cv::Mat& frame = frames[static_cast<size_t>(p.frame)];
    const cv::Rect outer = cv::Rect(p.rect.x - o.context, p.rect.y - o.context,
                                    p.rect.width + 2 * o.context, p.rect.height + 2 * o.context) &
                           cv::Rect(0, 0, frame.cols, frame.rows);
    Window w;
    w.lr = frame(outer).clone();
    w.inner = cv::Rect(p.rect.x - outer.x, p.rect.y - outer.y, p.rect.width, p.rect.height);
    const cv::Rect hr(2 * w.inner.x, 2 * w.inner.y, 2 * w.inner.width, 2 * w.inner.height);
    const cv::Mat reference = rescale(w.lr, w.lr.size() * 2, o.filter)(hr).clone();
    ProbeOptions po = o.probes;
    po.seed = mix_seed(po.seed, windows.size());
    w.probes = find_probes(reference, po);
    r.lr_crops.push_back(frame(p.rect).clone());
    windows.push_back(std::move(w));
  }

  for (double f : o.factors) {
    if (!(f > 0 && f <= 1))
      throw Error(fmt::format("rescaling search: factor {} is outside (0, 1]", f));
    Candidate c;
    c.factor = f;
    std::vector<ArtifactScore> scores;
    for (const auto& w : windows) {
      const cv::Rect hr(2 * w.inner.x, 2 * w.inner.y, 2 * w.inner.width, 2 * w.inner.height);
      cv::Mat crop = pseudo_hr(w.lr, f, up, o.filter)(hr).clone();
      ArtifactScore score = score_artifacts(crop, w.probes, o.weights, o.probes.radius);
      score.detail = detail_loss(crop, w.lr(w.inner));
      score.total = score.weighted(o.weights);
      scores.push_back(score);
      c.crops.push_back(std::move(crop));
    }
    c.score = mean_score(scores, o.weights);
    r.candidates.push_back(std::move(c));
  }
  std::vector<size_t> order(r.candidates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Ties go to the larger factor: the same artifacts with more of the frame's own detail.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& ca = r.candidates[a];
    const auto& cb = r.candidates[b];
    if (ca.score.total != cb.score.total) return ca.score.total < cb.score.total;
    return ca.factor > cb.factor;
  });
  for (size_t k = 0; k < order.size(); ++k) r.candidates[order[k]].rank = static_cast<int>(k + 1);
  r.best = r.candidates[order[0]].factor;
  return r;
}

cv::Mat contact_sheet(const SearchResult& r, double chosen, int columns) {
  const int n = std::min<int>(columns, static_cast<int>(r.lr_crops.size()));
  const cv::Size crop =
      r.candidates.empty() ? r.lr_crops[0].size() * 2 : r.candidates[0].crops[0].size();
  // Shown at least 160 px wide, in whole multiples, so pixels stay square and visible.
  const int zoom = std::max(1, (160 + crop.width - 1) / crop.width);
  const cv::Size cell = crop * zoom;
  constexpr int kLabel = 330, kPad = 8, kHeader = 28;
  const int rows = 1 + static_cast<int>(r.candidates.size());
  cv::Mat sheet(kHeader + rows * (cell.height + kPad) + kPad, kLabel + n * (cell.width + kPad),
                CV_32FC3, cv::Scalar::all(1));
  put(sheet, "input-rescaling search: lower total = fewer artifacts; rank 1 is taken", kPad, 20,
      0.5);
  const auto row_y = [&](int row) { return kHeader + row * (cell.height + kPad); };
  put(sheet, "LR patches (nearest)", kPad, row_y(0) + 20);
  for (int i = 0; i < n; ++i)
    nearest(r.lr_crops[static_cast<size_t>(i)], cell)
        .copyTo(
            sheet(cv::Rect(kLabel + i * (cell.width + kPad), row_y(0), cell.width, cell.height)));
  for (size_t k = 0; k < r.candidates.size(); ++k) {
    const Candidate& c = r.candidates[k];
    const int y = row_y(static_cast<int>(k) + 1);
    const bool mark = std::abs(c.factor - chosen) < 1e-9;
    if (mark)
      cv::rectangle(sheet, cv::Rect(0, y - kPad / 2, sheet.cols, cell.height + kPad),
                    cv::Scalar(1.0, 0.93, 0.6), cv::FILLED);
    put(sheet, fmt::format("factor {:.2f}   rank {}{}", c.factor, c.rank, mark ? "  CHOSEN" : ""),
        kPad, y + 20, 0.55);
    put(sheet, fmt::format("total    {:.3f}", c.score.total), kPad, y + 44);
    put(sheet, fmt::format("ringing  {:.3f}", c.score.ringing), kPad, y + 64);
    put(sheet, fmt::format("aliasing {:.3f}", c.score.aliasing), kPad, y + 84);
    put(sheet, fmt::format("noise    {:.3f}", c.score.noise), kPad, y + 104);
    put(sheet, fmt::format("blur     {:.3f}", c.score.blur), kPad, y + 124);
    put(sheet, fmt::format("detail   {:.3f}", c.score.detail), kPad, y + 144);
    for (int i = 0; i < n; ++i) {
      cv::Mat shown = nearest(c.crops[static_cast<size_t>(i)], cell);
      shown.copyTo(sheet(cv::Rect(kLabel + i * (cell.width + kPad), y, cell.width, cell.height)));
    }
  }
  return sheet;
}

nlohmann::json search_json(const SearchResult& r, double chosen) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const auto& c : r.candidates)
    candidates.push_back({{"factor", c.factor},
                          {"rank", c.rank},
                          {"total", c.score.total},
                          {"ringing", c.score.ringing},
                          {"aliasing", c.score.aliasing},
                          {"noise", c.score.noise},
                          {"blur", c.score.blur},
                          {"detail", c.score.detail},
                          {"edges", c.score.edges}});
  nlohmann::json patches = nlohmann::json::array();
  for (const auto& p : r.patches)
    patches.push_back({{"frame", p.frame},
                       {"x", p.rect.x},
                       {"y", p.rect.y},
                       {"size", p.rect.width},
                       {"edge_density", p.edge_density}});
  return {{"best", r.best}, {"chosen", chosen}, {"candidates", candidates}, {"patches", patches}};
}

}  // namespace pf::lbo

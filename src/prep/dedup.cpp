#include "prep/dedup.h"

#include <algorithm>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "io/phash.h"
#include "io/quality.h"

namespace pf::prep {
namespace {

size_t find_root(std::vector<size_t>& parent, size_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

bool better(const DedupItem& a, size_t ia, const DedupItem& b, size_t ib) {
  if (a.quality != b.quality) return a.quality > b.quality;
  if (a.tiebreak != b.tiebreak) return a.tiebreak > b.tiebreak;
  return ia < ib;
}

// Mean of each cell of an n x n partition of `luma` into whole pixels (INTER_AREA's result
// within a level where the sizes divide, and one pass over the image where they do not).
cv::Mat box_thumb(const cv::Mat& luma, int n) {
  cv::Mat out(n, n, CV_8UC1);
  const int w = luma.cols, h = luma.rows;
  std::vector<uint32_t> cols(w);
  for (int r = 0; r < n; ++r) {
    const int y0 = r * h / n, y1 = std::max(y0 + 1, (r + 1) * h / n);
    std::fill(cols.begin(), cols.end(), 0u);
    for (int y = y0; y < std::min(y1, h); ++y) {
      const uint8_t* row = luma.ptr<uint8_t>(y);
      for (int x = 0; x < w; ++x) cols[x] += row[x];
    }
    for (int c = 0; c < n; ++c) {
      const int x0 = c * w / n, x1 = std::max(x0 + 1, (c + 1) * w / n);
      uint64_t s = 0;
      for (int x = x0; x < std::min(x1, w); ++x) s += cols[x];
      const uint64_t count = static_cast<uint64_t>(std::min(x1, w) - x0) * (std::min(y1, h) - y0);
      out.at<uint8_t>(r, c) = static_cast<uint8_t>((s + count / 2) / std::max<uint64_t>(count, 1));
    }
  }
  return out;
}

}  // namespace

DedupItem dedup_item(const cv::Mat& luma8) {
  DedupItem d;
  if (luma8.empty()) return d;
  d.thumb = box_thumb(luma8, kThumbSize);
  // The hash from the thumbnail: io::perceptual_hash's 32x32 luma is its exact 2x reduction,
  // and the full-size image is not read a second time.
  cv::Mat small, gray;
  cv::resize(d.thumb, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
  small.convertTo(gray, CV_32F, 1.0 / 255);
  d.hash = io::perceptual_hash(gray);
  return d;
}

std::vector<size_t> find_duplicates(const std::vector<DedupItem>& items, const DedupOptions& o) {
  const size_t n = items.size();
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), size_t{0});
  std::vector<cv::Mat> thumbs(n);
  for (size_t i = 0; i < n; ++i) items[i].thumb.convertTo(thumbs[i], CV_64F);
  // All pairs: a popcount each, and SSIM (64x64) only for the few candidates. 10k images are
  // 5e7 popcounts, well under a second.
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (io::hamming_distance(items[i].hash, items[j].hash) > o.max_bits) continue;
      const size_t ri = find_root(parent, i), rj = find_root(parent, j);
      if (ri == rj) continue;
      if (io::ssim(thumbs[i], thumbs[j]) < o.min_ssim) continue;
      parent[std::max(ri, rj)] = std::min(ri, rj);
    }
  std::vector<size_t> best(n);
  std::iota(best.begin(), best.end(), size_t{0});
  for (size_t i = 0; i < n; ++i) {
    const size_t r = find_root(parent, i);
    if (better(items[i], i, items[best[r]], best[r])) best[r] = i;
  }
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = best[find_root(parent, i)];
  return out;
}

}  // namespace pf::prep

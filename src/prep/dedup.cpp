#include "prep/dedup.h"

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

}  // namespace

DedupItem dedup_item(const cv::Mat& rgb, const cv::Mat& luma8) {
  DedupItem d;
  d.hash = io::perceptual_hash(rgb);
  cv::resize(luma8, d.thumb, cv::Size(kThumbSize, kThumbSize), 0, 0, cv::INTER_AREA);
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

// Near-duplicates across a whole set: candidates by 64-bit perceptual hash (io/phash.h) a few bits
// apart, each confirmed by SSIM on small luma thumbnails, so two different pictures that happen
// to share a hash are not merged. A group keeps its best member.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace pf::prep {

struct DedupItem {
  uint64_t hash = 0;
  cv::Mat thumb;        // CV_8UC1, kThumbSize x kThumbSize luma
  double quality = 0;   // higher is better (complexity)
  double tiebreak = 0;  // then this (sharpness); then the earlier item
};

struct DedupOptions {
  int max_bits = 10;       // Hamming distance of candidate pairs
  double min_ssim = 0.90;  // SSIM of the thumbnails that confirms a pair
};

constexpr int kThumbSize = 64;

// Hash and thumbnail of an image from its luma (CV_8UC1, prep::luma8).
DedupItem dedup_item(const cv::Mat& luma8);

// For each item, the index of the item that represents its group (itself when it is the best
// of its group or has no duplicates). Groups are the connected parts of the confirmed pairs.
std::vector<size_t> find_duplicates(const std::vector<DedupItem>& items, const DedupOptions& o);

}  // namespace pf::prep

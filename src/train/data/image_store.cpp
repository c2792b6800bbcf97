#include "train/data/image_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"
#include "io/image.h"

namespace pf::train {

torch::Tensor ImageStore::get(const std::string& path) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(path);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.pos);
      return it->second.image;
    }
  }
  const io::Image img = io::read_image(path);  // InputError names the file
  if (!img.alpha.empty() && !warned_alpha_.exchange(true))
    spdlog::warn(
        "{} (and maybe others) has an alpha channel: it is dropped, the RGB is trained "
        "as stored",
        path);
  const cv::Mat& m = img.rgb;
  auto t = torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kFloat32).permute({2, 0, 1});
  // 8-bit files are kept as their 8-bit values: exact, and a quarter of the memory.
  t = img.bit_depth == 8 ? t.mul(255).round_().to(torch::kUInt8).contiguous() : t.contiguous();
  const int64_t size = t.numel() * t.element_size();
  std::lock_guard<std::mutex> lock(mutex_);
  if (budget_ <= 0 || size > budget_ || cache_.count(path)) return t;
  while (bytes_ + size > budget_ && !lru_.empty()) {
    auto victim = cache_.find(lru_.back());
    bytes_ -= victim->second.image.numel() * victim->second.image.element_size();
    cache_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(path);
  cache_[path] = Entry{t, lru_.begin()};
  bytes_ += size;
  return t;
}

torch::Tensor as_float(const torch::Tensor& t) {
  return t.scalar_type() == torch::kUInt8 ? t.to(torch::kFloat32).div_(255) : t;
}

int64_t ImageStore::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

void ImageStore::note_unreadable(const std::string& path, const std::string& why) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (std::find(bad_.begin(), bad_.end(), path) != bad_.end()) return;
  bad_.push_back(path);
  ++unreadable_;
  spdlog::warn("skipping unreadable image {}: {}", path, why);
}

int64_t EpochOrder::pick(uint64_t stream, int64_t ordinal) const {
  const int64_t epoch = ordinal / n_;
  const auto key = std::make_pair(stream, epoch);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = perms_.begin(); it != perms_.end(); ++it)
    if (it->first == key) return it->second[static_cast<size_t>(ordinal % n_)];
  std::vector<int64_t> perm(static_cast<size_t>(n_));
  for (int64_t i = 0; i < n_; ++i) perm[static_cast<size_t>(i)] = i;
  Rng rng(mix_seed(mix_seed(stream, 0x6570), static_cast<uint64_t>(epoch)));
  for (int64_t i = n_ - 1; i > 0; --i)
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(rng.uniform_int(0, i))]);
  const int64_t item = perm[static_cast<size_t>(ordinal % n_)];
  perms_.emplace_front(key, std::move(perm));
  if (perms_.size() > 4) perms_.pop_back();  // loaders work on at most two epochs at once
  return item;
}

}  // namespace pf::train

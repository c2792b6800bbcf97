// The images of one dataset folder list: found once, checked from their headers, decoded on
// demand into a bounded cache (memory does not grow with the dataset), with unreadable files
// skipped (each named in one warning, all counted) and alpha channels dropped (one warning).
#pragma once
#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pf::train {

class ImageStore {
 public:
  explicit ImageStore(int64_t cache_bytes) : budget_(cache_bytes) {}

  // 3 x H x W: uint8 for 8-bit files (a quarter of the memory in the cache), float32 in [0, 1]
  // otherwise; crop first, then as_float(). Throws pf::InputError naming the file when it cannot
  // be read.
  torch::Tensor get(const std::string& path) const;

  int64_t cached_bytes() const;
  int64_t unreadable() const { return unreadable_; }
  // Records an unreadable file once (warning) and counts it.
  void note_unreadable(const std::string& path, const std::string& why) const;

 private:
  int64_t budget_;
  mutable std::mutex mutex_;
  mutable std::list<std::string> lru_;  // most recent first
  struct Entry {
    torch::Tensor image;
    std::list<std::string>::iterator pos;
  };
  mutable std::unordered_map<std::string, Entry> cache_;
  mutable int64_t bytes_ = 0;
  mutable std::atomic<int64_t> unreadable_{0};
  mutable std::vector<std::string> bad_;
  mutable std::atomic<bool> warned_alpha_{false};
};

// float32 in [0, 1] of what ImageStore::get returned (or a crop of it).
torch::Tensor as_float(const torch::Tensor& t);

// A deterministic epoch-style order over n items: ordinal k of the stream is item
// perm_e[k mod n] with e = k / n and perm_e a shuffle seeded by (stream, e).
class EpochOrder {
 public:
  explicit EpochOrder(int64_t n) : n_(n) {}
  int64_t pick(uint64_t stream, int64_t ordinal) const;

 private:
  int64_t n_;
  mutable std::mutex mutex_;
  mutable std::list<std::pair<std::pair<uint64_t, int64_t>, std::vector<int64_t>>> perms_;
};

}  // namespace pf::train

// Loader threads that build the batches of the coming iterations ahead of the trainer, with a
// bounded look-ahead: memory holds at most `prefetch` batches whatever the dataset's size, and
// the trainer waits only when the loaders cannot keep up (the wait is measured and logged).
#pragma once
#include <torch/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "train/data.h"

namespace pf::train {

struct LoaderOptions {
  int64_t batch = 1;     // samples per micro-batch
  int64_t accum = 1;     // micro-batches per iteration
  int threads = 1;       // loader threads
  int64_t prefetch = 4;  // micro-batches built ahead at most
  uint64_t seed = 0;     // manual_seed
  int64_t first_iteration = 1;
  // Data-parallel: worker `rank` of `world` makes slots rank x batch ... rank x batch + batch - 1
  // of each world x batch micro-batch, so together the workers draw exactly the samples one
  // worker with batch world x batch would.
  int64_t rank = 0, world = 1;
};

struct Batch {
  int64_t iteration = 0, micro = 0;  // micro in [0, accum)
  torch::Tensor lq, gt;              // B x 3 x h x w, B x 3 x H x W
};

// The seed of sample `slot` (micro * batch + index) of iteration `iter`.
uint64_t sample_seed(uint64_t manual_seed, int64_t iteration, int64_t slot);

class Loader {
 public:
  Loader(const SampleSource& source, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next micro-batch in order. Rethrows a loader thread's exception.
  Batch next();
  // Seconds next() spent waiting since the last call of take_wait_seconds().
  double take_wait_seconds();

 private:
  void work();
  Sample make(int64_t sample_index) const;

  const SampleSource& source_;
  LoaderOptions o_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::map<int64_t, Sample> done_;  // by sample index
  int64_t next_claim_ = 0;          // next sample index a thread takes
  int64_t consumed_ = 0;            // micro-batches handed out
  bool stop_ = false;
  std::exception_ptr error_;
  double wait_s_ = 0;
};

}  // namespace pf::train

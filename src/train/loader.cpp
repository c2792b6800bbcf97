#include "train/loader.h"

#include <chrono>

#include "core/error.h"
#include "core/rng.h"

namespace pf::train {

uint64_t sample_seed(uint64_t manual_seed, int64_t iteration, int64_t slot) {
  return mix_seed(mix_seed(manual_seed, static_cast<uint64_t>(iteration)),
                  static_cast<uint64_t>(slot));
}

MixedSource::MixedSource(std::vector<std::shared_ptr<const SampleSource>> sources,
                         std::vector<double> weights)
    : sources_(std::move(sources)) {
  double total = 0;
  for (double w : weights) total += w;
  if (sources_.empty() || sources_.size() != weights.size() || !(total > 0))
    throw Error("mixed source: needs sources with positive total weight");
  double acc = 0;
  for (double w : weights) cumulative_.push_back(acc += w / total);
}

Sample MixedSource::sample(const SampleKey& key) const {
  Rng rng(mix_seed(key.seed, 0x6d6978));  // its own stream: the chosen source gets key.seed
  const double u = rng.uniform();
  size_t i = 0;
  while (i + 1 < cumulative_.size() && u >= cumulative_[i]) ++i;
  return sources_[i]->sample(key);
}

std::string MixedSource::describe() const {
  std::string s = "mix of";
  double prev = 0;
  for (size_t i = 0; i < sources_.size(); ++i) {
    s += (i ? ", " : " ") + sources_[i]->describe() + " (" +
         std::to_string(static_cast<int>((cumulative_[i] - prev) * 100 + 0.5)) + " %)";
    prev = cumulative_[i];
  }
  return s;
}

Loader::Loader(const SampleSource& source, LoaderOptions options) : source_(source), o_(options) {
  if (o_.threads < 1) o_.threads = 1;
  if (o_.prefetch < 1) o_.prefetch = 1;
  next_claim_ = 0;
  for (int i = 0; i < o_.threads; ++i) threads_.emplace_back([this] { work(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  room_.notify_all();
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

Sample Loader::make(int64_t sample_index) const {
  // Sample index k of this run is micro-batch k / batch; iterations start at first_iteration.
  const int64_t micro_global = sample_index / o_.batch;
  const int64_t iteration = o_.first_iteration + micro_global / o_.accum;
  const int64_t global_batch = o_.batch * o_.world;
  const int64_t slot =
      (micro_global % o_.accum) * global_batch + o_.rank * o_.batch + sample_index % o_.batch;
  SampleKey key;
  key.seed = sample_seed(o_.seed, iteration, slot);
  key.stream = o_.seed;
  key.ordinal = ((iteration - 1) * o_.accum * global_batch) + slot;
  return source_.sample(key);
}

void Loader::work() {
  for (;;) {
    int64_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Stay within `prefetch` micro-batches of what the trainer has taken.
      room_.wait(lock, [&] {
        return stop_ || error_ || next_claim_ < (consumed_ + o_.prefetch) * o_.batch;
      });
      if (stop_ || error_) return;
      index = next_claim_++;
    }
    try {
      Sample s = make(index);
      std::lock_guard<std::mutex> lock(mutex_);
      done_.emplace(index, std::move(s));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    ready_.notify_all();
  }
}

Batch Loader::next() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Sample> samples;
  int64_t micro_global;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    micro_global = consumed_;
    const int64_t first = micro_global * o_.batch;
    ready_.wait(lock, [&] {
      if (error_) return true;
      for (int64_t i = first; i < first + o_.batch; ++i)
        if (!done_.count(i)) return false;
      return true;
    });
    if (error_) std::rethrow_exception(error_);
    for (int64_t i = first; i < first + o_.batch; ++i) {
      auto it = done_.find(i);
      samples.push_back(std::move(it->second));
      done_.erase(it);
    }
    ++consumed_;
    wait_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  room_.notify_all();
  Batch b;
  b.iteration = o_.first_iteration + micro_global / o_.accum;
  b.micro = micro_global % o_.accum;
  std::vector<torch::Tensor> lq, gt;
  for (auto& s : samples) {
    lq.push_back(s.lq);
    gt.push_back(s.gt);
  }
  b.lq = torch::stack(lq);
  b.gt = torch::stack(gt);
  return b;
}

double Loader::take_wait_seconds() {
  std::lock_guard<std::mutex> lock(mutex_);
  const double w = wait_s_;
  wait_s_ = 0;
  return w;
}

}  // namespace pf::train

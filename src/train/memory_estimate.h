// How much memory a training step needs, from the config alone, so that a config that cannot
// fit (lq_size or batch far too large) is refused with its sizes at `--check` and at start,
// instead of being killed by the kernel half an hour later.
#pragma once
#include <cstdint>
#include <string>

#include "train/config.h"

namespace pf::train {

struct MemoryEstimate {
  int64_t activations = 0;  // the network's forward/backward tensors of one micro-batch
  int64_t data = 0;         // batches queued by the loaders and the OTF tiles in flight
  int64_t total() const { return activations + data; }
};

// An upper-side estimate (the real peak is below it within a factor of about 2).
// `loader_threads`: as the trainer picks them; `prefetch` follows the trainer's rule.
MemoryEstimate estimate_memory(const TrainConfig& config, int loader_threads);

// Host memory (bytes) this process may use: the smaller of the physical memory and the
// address-space / cgroup limits in force.
int64_t host_memory_limit();

// Throws InputError naming the sizes when the estimate exceeds `limit` bytes (the activations
// count only when the network runs on the CPU).
void check_memory(const TrainConfig& config, int loader_threads, bool network_on_cpu,
                  int64_t limit);

}  // namespace pf::train

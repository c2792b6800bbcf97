#include "train/memory_estimate.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "core/error.h"

namespace pf::train {

namespace {

int64_t param(const models::ModelSpec& s, const char* name, int64_t fallback) {
  for (const auto& [k, v] : s.params)
    if (k == name) return std::stoll(v);
  return fallback;
}

std::string gb(int64_t bytes) {
  return fmt::format("{:.1f} GB", static_cast<double>(bytes) / 1e9);
}

}  // namespace

MemoryEstimate estimate_memory(const TrainConfig& c, int loader_threads) {
  const auto& d = c.train_sets[0];
  const int64_t lq = d.lq_size * d.lq_size, gt = lq * c.scale * c.scale,
                batch = d.batch_size_per_gpu;
  const auto& spec = c.network_g.spec;
  // Feature maps kept for the backward pass, per LQ pixel: Compact keeps a conv output and an
  // activation per layer; SPAN's six blocks keep about a dozen maps each (three-branch convs,
  // attention) plus the concatenation.
  const int64_t per_pixel =
      spec.arch == "SPAN" ? param(spec, "feature_channels", 48) * 80
                          : param(spec, "num_feat", 64) * 2 * (param(spec, "num_conv", 16) + 2);
  MemoryEstimate e;
  // x2: the gradients of those maps during the backward pass; the output and target at HQ size.
  e.activations = batch * (lq * per_pixel * 2 + gt * 3 * 4) * 4;
  const int64_t threads = std::max(1, loader_threads);
  const int64_t prefetch = std::max<int64_t>(2, 2 * threads / std::max<int64_t>(1, batch) + 2);
  e.data = prefetch * batch * (lq + gt) * 3 * 4;
  bool otf = false;
  for (const auto& s : c.train_sets) {
    otf = otf || s.type != "pairedimagedataset";
    e.data += s.cache_mb << 20;  // the decoded-image caches fill up to their budget
  }
  if (otf) {
    // Each loader thread degrades one tile of (lq_size + 16) x scale a side, in float, with a
    // handful of copies alive at once.
    const int64_t side = (d.lq_size + 16) * c.scale;
    e.data += threads * side * side * 3 * 4 * 8;
  }
  return e;
}

int64_t host_memory_limit() {
  int64_t limit = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGE_SIZE);
  rlimit r{};
  if (::getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
    limit = std::min<int64_t>(limit, static_cast<int64_t>(r.rlim_cur));
  for (const char* f :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream in(f);
    int64_t v = 0;
    if (in >> v && v > 0) limit = std::min(limit, v);
  }
  return limit;
}

void check_memory(const TrainConfig& c, int loader_threads, bool network_on_cpu, int64_t limit) {
  const auto e = estimate_memory(c, loader_threads);
  const int64_t need = e.data + (network_on_cpu ? e.activations : 0);
  if (need <= limit) return;
  const auto& d = c.train_sets[0];
  throw InputError(fmt::format(
      "{}: datasets.{}: lq_size {} (HQ crops {}x{}) with batch_size_per_gpu {} needs about {} "
      "per step ({}the loaders' queue and tiles {}), more than the {} this process may use: "
      "lower lq_size or batch_size_per_gpu",
      d.where, d.key, d.lq_size, d.lq_size * c.scale, d.lq_size * c.scale, d.batch_size_per_gpu,
      gb(need),
      network_on_cpu ? "the network's tensors on the CPU " + gb(e.activations) + ", " : "",
      gb(e.data), gb(limit)));
}

}  // namespace pf::train

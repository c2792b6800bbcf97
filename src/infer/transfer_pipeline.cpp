// The CUDA path here is compiled against a CPU-only LibTorch and was not run on a GPU in this
// environment (see transfer_pipeline.h).
//
// Schedule (host order, depth 2; slot = batch % 2):
//   upload(0)
//   for k: compute(k), download(k), upload(k+1), finish(k-1)
//   finish(last)
// On the device: compute(k) waits for uploaded[k]; upload(k+1) reuses the device buffer of k-1,
// so it waits for released[k-1]; download(k) waits for computed[k]. On the host: the staging
// buffer of k+1 is refilled only after uploaded[k-1] completed, and the result of k-1 is read
// only after downloaded[k-1] completed.
//
// Cross-stream use and the caching allocator: we keep tensors alive instead of calling
// recordDataPtrOnStream. The device input buffers are allocated once, written on the upload
// stream and read on the compute stream, and freed only after drain() waited for every stream.
// A batch's result (allocated by the model on the compute stream, read by the download stream)
// stays in its output slot until the host saw downloaded[k]; only then is it released. This
// bounds the live results to two and frees each at a known point, where recordDataPtrOnStream
// would defer the reuse to an event the allocator polls at some later allocation. Pinned host
// buffers also live as long as the pipeline (CUDA's host allocator additionally records an
// event for every non_blocking copy from or to them).
#include "infer/transfer_pipeline.h"

#include <c10/core/DeviceGuard.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <algorithm>
#include <thread>

#include "core/error.h"

namespace pf::infer {
namespace {

c10::Stream current_stream(const torch::Device& device) {
  return c10::impl::VirtualGuardImpl(device.type()).getStream(device);
}

// Copies get their own streams only on CUDA; elsewhere every "stream" is the (synchronous)
// current one.
c10::Stream copy_stream(const torch::Device& device) {
  if (!device.is_cuda()) return current_stream(device);
  return c10::impl::VirtualGuardImpl(device.type()).getStreamFromGlobalPool(device);
}

// LibTorch 1.13's c10::Event has no synchronize(), so the host polls. The waits are short by
// construction (the event was recorded a batch earlier), and cudaEventSynchronize spins by
// default too.
void wait_host(const c10::Event& event) {
  while (!event.query()) std::this_thread::yield();
}

std::vector<int64_t> with_rows(int64_t rows, c10::IntArrayRef item) {
  std::vector<int64_t> sizes{rows};
  sizes.insert(sizes.end(), item.begin(), item.end());
  return sizes;
}

}  // namespace

std::vector<BatchRange> plan_batches(int64_t items, int64_t batch) {
  if (batch < 1) throw ConfigError("batch must be >= 1, got " + std::to_string(batch));
  std::vector<BatchRange> batches;
  for (int64_t first = 0; first < items; first += batch)
    batches.push_back({first, std::min(items, first + batch)});
  return batches;
}

TransferPipeline::TransferPipeline(torch::Device device, PipelineShape shape)
    : device_(device),
      shape_(std::move(shape)),
      async_(device.is_cuda()),
      compute_(current_stream(device)),
      upload_(copy_stream(device)),
      download_(copy_stream(device)),
      batches_(plan_batches(shape_.items, shape_.batch)),
      in_{InputSlot(device.type()), InputSlot(device.type())},
      out_{OutputSlot(device.type()), OutputSlot(device.type())} {
  if (shape_.item_sizes.size() != 3)
    throw InputError("transfer pipeline: items must be C x H x W, got " +
                     std::to_string(shape_.item_sizes.size()) + " dimensions");
  const auto sizes = with_rows(std::min(shape_.batch, shape_.items), shape_.item_sizes);
  const auto host = torch::TensorOptions().dtype(shape_.dtype).pinned_memory(async_);
  for (auto& slot : in_) {
    slot.host = torch::empty(sizes, host, torch::MemoryFormat::ChannelsLast);
    // On the CPU the model reads the staging buffer itself.
    slot.device = async_ ? torch::empty(sizes, host.device(device_).pinned_memory(false),
                                        torch::MemoryFormat::ChannelsLast)
                         : slot.host;
  }
}

TransferPipeline::~TransferPipeline() {
  drain();
}

void TransferPipeline::run(const PipelineStages& stages) {
  if (batches_.empty()) return;
  const c10::DeviceGuard on_device(device_);
  const auto n = static_cast<int64_t>(batches_.size());
  upload(0, stages);
  for (int64_t k = 0; k < n; ++k) {
    compute(k, stages);
    download(k);
    if (k + 1 < n) upload(k + 1, stages);
    if (k > 0) finish(k - 1, stages);
  }
  finish(n - 1, stages);
}

void TransferPipeline::upload(int64_t k, const PipelineStages& stages) {
  auto& slot = in_[static_cast<size_t>(k % kDepth)];
  const auto& range = batches_[static_cast<size_t>(k)];
  wait_host(slot.uploaded);  // the copy of batch k-2 may still read this staging buffer
  const auto staging = slot.host.narrow(0, 0, range.rows());
  stages.fill(range, staging);
  if (!async_) return;
  const c10::StreamGuard on_upload(upload_);
  slot.released.block(upload_);  // compute(k-2) has finished reading the device buffer
  slot.device.narrow(0, 0, range.rows()).copy_(staging, /*non_blocking=*/true);
  mark(slot.uploaded, upload_);
}

void TransferPipeline::compute(int64_t k, const PipelineStages& stages) {
  auto& in = in_[static_cast<size_t>(k % kDepth)];
  auto& out = out_[static_cast<size_t>(k % kDepth)];
  const c10::StreamGuard on_compute(compute_);
  in.uploaded.block(compute_);
  out.device = stages.compute(in.device.narrow(0, 0, batches_[static_cast<size_t>(k)].rows()));
  mark(in.released, compute_);
  mark(out.computed, compute_);
}

void TransferPipeline::download(int64_t k) {
  auto& out = out_[static_cast<size_t>(k % kDepth)];
  if (!async_) {
    out.host = out.device;
    return;
  }
  const auto& result = out.device;
  const auto wanted = with_rows(std::min(shape_.batch, shape_.items), result.sizes().slice(1));
  const auto format = result.suggest_memory_format();
  // Allocated on the first batch; every batch's result has the same shape (the last has fewer
  // rows), so later batches reuse it.
  if (!out.host.defined() || !out.host.sizes().equals(wanted) ||
      out.host.scalar_type() != result.scalar_type() || !out.host.is_contiguous(format))
    out.host =
        torch::empty(wanted, result.options().device(torch::kCPU).pinned_memory(true), format);
  const c10::StreamGuard on_download(download_);
  out.computed.block(download_);
  out.host.narrow(0, 0, result.size(0)).copy_(result, /*non_blocking=*/true);
  mark(out.downloaded, download_);
}

void TransferPipeline::finish(int64_t k, const PipelineStages& stages) {
  auto& out = out_[static_cast<size_t>(k % kDepth)];
  const auto& range = batches_[static_cast<size_t>(k)];
  wait_host(out.downloaded);
  stages.consume(range, out.host.narrow(0, 0, range.rows()));
  // Its download has completed, so the allocator may hand this memory to the next batch.
  out.device = torch::Tensor();
}

void TransferPipeline::mark(c10::Event& event, const c10::Stream& stream) const {
  if (async_) event.record(stream);
}

void TransferPipeline::drain() const noexcept {
  if (!async_) return;
  try {
    const c10::impl::VirtualGuardImpl impl(device_.type());
    for (const auto& stream : {upload_, compute_, download_}) impl.synchronizeStream(stream);
  } catch (...) {
    // A failing device is already reported by whatever threw first; nothing more to do here.
  }
}

}  // namespace pf::infer

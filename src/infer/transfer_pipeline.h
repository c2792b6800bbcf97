// Overlapped host<->device transfers for batched inference. While batch k computes on the
// compute stream, batch k+1 is copied host -> device on an upload stream and the result of batch
// k-1 device -> host on a download stream, through depth-2 rings of pinned host buffers; events
// order the streams and tell the host when a buffer may be read or refilled.
//
// Built on the device-generic c10 API only (VirtualGuardImpl streams, c10::Event), never on CUDA
// headers, so it compiles against a CPU-only LibTorch and uses CUDA at run time when present.
// NOTE: the CUDA path is compiled here but was NOT run on a GPU in this environment (no GPU,
// CPU-only LibTorch); its tests skip without CUDA. On the CPU the same ring and the same order
// of steps run synchronously (no streams, no events, no pinning), which is what the CPU tests
// check.
#pragma once
#include <c10/core/Event.h>
#include <c10/core/Stream.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace pf::infer {

// Items [first, last) of one batch.
struct BatchRange {
  int64_t first = 0, last = 0;
  int64_t rows() const { return last - first; }
};

// `items` in consecutive batches of `batch` (the last one may be shorter).
std::vector<BatchRange> plan_batches(int64_t items, int64_t batch);

// What goes through the pipeline: `items` inputs of `item_sizes` (C, H, W), `batch` at a time,
// held on the device as `dtype` in channels-last layout.
struct PipelineShape {
  int64_t items = 0;
  int64_t batch = 1;
  std::vector<int64_t> item_sizes;
  torch::ScalarType dtype = torch::kFloat32;
};

// The caller's work per batch. The pipeline calls fill, compute and consume once per batch, each
// in batch order; fill(k+1) runs before consume(k-1) so the host prepares and drains while the
// device computes.
struct PipelineStages {
  // Writes the items of `range` into `staging` (rows = range.rows(); host memory, pinned on
  // CUDA; already `dtype`, channels-last). The buffer is reused two batches later.
  std::function<void(const BatchRange& range, const torch::Tensor& staging)> fill;
  // The device work on one batch; runs with the compute stream current. The result stays on
  // the device and must not alias the batch.
  std::function<torch::Tensor(const torch::Tensor& device_batch)> compute;
  // Reads the host copy of the result of `range` (same dtype and layout as compute's result);
  // only valid during the call.
  std::function<void(const BatchRange& range, const torch::Tensor& result)> consume;
};

class TransferPipeline {
 public:
  static constexpr int kDepth = 2;

  TransferPipeline(torch::Device device, PipelineShape shape);
  // Waits for every stream, so no buffer is freed under an in-flight copy (also on exceptions).
  ~TransferPipeline();
  TransferPipeline(const TransferPipeline&) = delete;
  TransferPipeline& operator=(const TransferPipeline&) = delete;

  // Pushes every batch through fill -> upload -> compute -> download -> consume.
  void run(const PipelineStages& stages);
  // True when copies and compute run on separate streams (a CUDA device).
  bool overlapped() const { return async_; }

 private:
  // The host staging buffer, its device copy, and the events of the batch using them.
  struct InputSlot {
    explicit InputSlot(c10::DeviceType type) : uploaded(type), released(type) {}
    torch::Tensor host, device;
    c10::Event uploaded, released;  // H2D done; compute finished reading `device`
  };
  // The device result of a batch, kept alive until its host copy has landed.
  struct OutputSlot {
    explicit OutputSlot(c10::DeviceType type) : computed(type), downloaded(type) {}
    torch::Tensor device, host;
    c10::Event computed, downloaded;
  };

  void upload(int64_t k, const PipelineStages& stages);
  void compute(int64_t k, const PipelineStages& stages);
  void download(int64_t k);
  void finish(int64_t k, const PipelineStages& stages);
  void mark(c10::Event& event, const c10::Stream& stream) const;
  void drain() const noexcept;

  torch::Device device_;
  PipelineShape shape_;
  bool async_;
  c10::Stream compute_, upload_, download_;
  std::vector<BatchRange> batches_;
  std::array<InputSlot, kDepth> in_;
  std::array<OutputSlot, kDepth> out_;
};

}  // namespace pf::infer

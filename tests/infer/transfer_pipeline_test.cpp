// The transfer pipeline: batch planning, the double-buffered schedule and its bookkeeping (run
// synchronously on the CPU), and on CUDA the pinned staging buffers and the results.
#include "infer/transfer_pipeline.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/error.h"

using namespace pf::infer;

namespace {

// The host order of steps the schedule promises for n batches: fill(k+1) right after
// compute(k), consume(k-1) after that.
std::vector<std::string> expected_trace(int64_t n) {
  std::vector<std::string> trace{"fill 0"};
  for (int64_t k = 0; k < n; ++k) {
    trace.push_back("compute " + std::to_string(k));
    if (k + 1 < n) trace.push_back("fill " + std::to_string(k + 1));
    if (k > 0) trace.push_back("consume " + std::to_string(k - 1));
  }
  trace.push_back("consume " + std::to_string(n - 1));
  return trace;
}

PipelineShape small_shape(int64_t items, int64_t batch) {
  PipelineShape shape;
  shape.items = items;
  shape.batch = batch;
  shape.item_sizes = {2, 3, 4};
  return shape;
}

// Item i is filled with the constant i + 1; compute maps x to 2x + 1.
torch::Tensor item_value(int64_t i) {
  return torch::full({2, 3, 4}, static_cast<float>(i + 1));
}

}  // namespace

TEST(TransferPipeline, PlansConsecutiveBatchesWithAShortLastOne) {
  const auto b = plan_batches(7, 3);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].first, 0);
  EXPECT_EQ(b[0].last, 3);
  EXPECT_EQ(b[1].first, 3);
  EXPECT_EQ(b[2].first, 6);
  EXPECT_EQ(b[2].rows(), 1);
  EXPECT_EQ(plan_batches(4, 4).size(), 1u);
  EXPECT_TRUE(plan_batches(0, 2).empty());
  EXPECT_THROW(plan_batches(3, 0), pf::ConfigError);
}

TEST(TransferPipeline, RunsTheDoubleBufferedScheduleOnTheCpu) {
  for (const int64_t items : {1, 2, 5, 7, 12}) {
    for (const int64_t batch : {1, 2, 3, 5}) {
      SCOPED_TRACE("items " + std::to_string(items) + ", batch " + std::to_string(batch));
      TransferPipeline pipeline(torch::Device(torch::kCPU), small_shape(items, batch));
      EXPECT_FALSE(pipeline.overlapped());
      std::vector<std::string> trace;
      std::vector<const void*> staging_ptrs;
      int64_t fills = 0, computes = 0, consumes = 0, consumed_items = 0;
      PipelineStages stages;
      stages.fill = [&](const BatchRange& range, const torch::Tensor& staging) {
        trace.push_back("fill " + std::to_string(fills++));
        EXPECT_EQ(staging.size(0), range.rows());
        EXPECT_TRUE(staging.is_contiguous(torch::MemoryFormat::ChannelsLast));
        EXPECT_FALSE(staging.is_pinned()) << "no pinning on the CPU";
        staging_ptrs.push_back(staging.data_ptr());
        // Garbage first: a row the fill forgot would show up in consume.
        staging.fill_(-100.0f);
        for (int64_t i = range.first; i < range.last; ++i)
          staging[i - range.first].copy_(item_value(i));
      };
      stages.compute = [&](const torch::Tensor& batch_in) {
        trace.push_back("compute " + std::to_string(computes++));
        return batch_in * 2 + 1;
      };
      stages.consume = [&](const BatchRange& range, const torch::Tensor& result) {
        trace.push_back("consume " + std::to_string(consumes++));
        ASSERT_EQ(result.size(0), range.rows());
        EXPECT_EQ(range.first, consumed_items) << "results arrive in item order";
        for (int64_t i = range.first; i < range.last; ++i)
          EXPECT_TRUE(torch::equal(result[i - range.first], item_value(i) * 2 + 1)) << "item " << i;
        consumed_items = range.last;
      };
      pipeline.run(stages);
      const auto n = static_cast<int64_t>(plan_batches(items, batch).size());
      EXPECT_EQ(trace, expected_trace(n));
      EXPECT_EQ(consumed_items, items);
      // Depth-2 ring: batch k reuses the staging buffer of k-2 and never that of k-1.
      for (size_t k = 1; k < staging_ptrs.size(); ++k) {
        EXPECT_NE(staging_ptrs[k], staging_ptrs[k - 1]) << "batch " << k;
        if (k >= 2) {
          EXPECT_EQ(staging_ptrs[k], staging_ptrs[k - 2]) << "batch " << k;
        }
      }
    }
  }
}

TEST(TransferPipeline, StagesInTheDeviceDtype) {
  auto shape = small_shape(3, 2);
  shape.dtype = torch::kBFloat16;
  TransferPipeline pipeline(torch::Device(torch::kCPU), shape);
  PipelineStages stages;
  std::vector<torch::ScalarType> seen;
  stages.fill = [&](const BatchRange& range, const torch::Tensor& staging) {
    seen.push_back(staging.scalar_type());
    staging.fill_(0.5f);
  };
  stages.compute = [](const torch::Tensor& b) { return b.to(torch::kFloat32) * 4; };
  float total = 0;
  stages.consume = [&](const BatchRange&, const torch::Tensor& r) {
    total += r.sum().item<float>();
  };
  pipeline.run(stages);
  EXPECT_EQ(seen, (std::vector<torch::ScalarType>{torch::kBFloat16, torch::kBFloat16}));
  EXPECT_FLOAT_EQ(total, 3 * 24 * 2.0f);
}

TEST(TransferPipeline, AnExceptionInConsumeStopsTheRun) {
  TransferPipeline pipeline(torch::Device(torch::kCPU), small_shape(6, 1));
  PipelineStages stages;
  int64_t computes = 0;
  stages.fill = [](const BatchRange&, const torch::Tensor& s) { s.zero_(); };
  stages.compute = [&](const torch::Tensor& b) {
    ++computes;
    return b + 1;
  };
  stages.consume = [](const BatchRange& range, const torch::Tensor&) {
    if (range.first == 1) throw pf::InputError("interrupted");
  };
  EXPECT_THROW(pipeline.run(stages), pf::InputError);
  EXPECT_EQ(computes, 3) << "consume(1) comes right after compute(2)";
}

TEST(TransferPipeline, CudaUsesPinnedBuffersAndReturnsTheResults) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU (or a CPU-only LibTorch)";
  for (const auto dtype : {torch::kFloat32, torch::kFloat16}) {
    auto shape = small_shape(7, 3);
    shape.item_sizes = {3, 256, 320};
    shape.dtype = dtype;
    TransferPipeline pipeline(torch::Device(torch::kCUDA, 0), shape);
    EXPECT_TRUE(pipeline.overlapped());
    PipelineStages stages;
    std::vector<std::string> trace;
    int64_t fills = 0, computes = 0, consumes = 0;
    stages.fill = [&](const BatchRange& range, const torch::Tensor& staging) {
      trace.push_back("fill " + std::to_string(fills++));
      EXPECT_TRUE(staging.is_pinned());
      EXPECT_EQ(staging.scalar_type(), dtype);
      for (int64_t i = range.first; i < range.last; ++i)
        staging[i - range.first].fill_(static_cast<float>(i + 1));
    };
    stages.compute = [&](const torch::Tensor& b) {
      trace.push_back("compute " + std::to_string(computes++));
      EXPECT_TRUE(b.is_cuda());
      // A chain of kernels between upload and download, so the copies have something to race
      // if an event were missing (a check, not a proof: timing decides whether a race shows).
      auto x = b;
      for (int r = 0; r < 50; ++r) x = x * 1 + 0;
      return x * 2 + 1;
    };
    stages.consume = [&](const BatchRange& range, const torch::Tensor& result) {
      trace.push_back("consume " + std::to_string(consumes++));
      EXPECT_TRUE(result.device().is_cpu());
      EXPECT_TRUE(result.is_pinned());
      EXPECT_EQ(result.scalar_type(), dtype);
      for (int64_t i = range.first; i < range.last; ++i) {
        const auto row = result[i - range.first].to(torch::kFloat32);
        EXPECT_EQ(row.min().item<float>(), 2.0f * (i + 1) + 1) << "item " << i;
        EXPECT_EQ(row.max().item<float>(), 2.0f * (i + 1) + 1) << "item " << i;
      }
    };
    pipeline.run(stages);
    EXPECT_EQ(trace, expected_trace(3));
  }
}

// c10d in one process: two workers on two threads over Gloo on the loopback interface. The
// gradient reducer averages what each worker's backward pass produced, bucket by bucket, and
// only on the armed (last) micro-batch; the small collectives carry flags and bytes.
#include "train/distributed.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <thread>

#include "core/error.h"
#include "free_port.h"
#include "models/compact.h"

using namespace pf::train;

namespace {

DistEnv env_of(int rank, int port) {
  DistEnv e;
  e.rank = rank;
  e.world_size = 2;
  e.local_rank = rank;
  e.local_world_size = 2;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  return e;
}

std::vector<torch::Tensor> params_of(pf::models::Compact& net) {
  std::vector<torch::Tensor> out;
  for (auto& p : net->parameters()) out.push_back(p);
  return out;
}

torch::Tensor loss_of(pf::models::Compact& net, const torch::Tensor& x) {
  return (net->forward(x) -
          torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                    .scale_factor(std::vector<double>{2, 2})
                                                    .mode(torch::kNearest)))
      .abs()
      .mean();
}

}  // namespace

TEST(GradReducer, AveragesTwoWorkersGradientsInBucketsOnTheArmedPassOnly) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const int port = pf::test::free_port();
  pf::models::CompactOptions co;
  co.num_feat = 8;
  co.num_conv = 3;
  co.upscale = 2;
  // Identical starting weights, different data per worker; two micro-batches each.
  torch::manual_seed(1);
  pf::models::Compact nets[2] = {pf::models::Compact(co), pf::models::Compact(co)};
  {
    torch::NoGradGuard no_grad;
    auto a = params_of(nets[0]), b = params_of(nets[1]);
    for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
  }
  torch::Tensor data[2][2];
  for (auto& w : data)
    for (auto& m : w) m = torch::rand({2, 3, 12, 12});

  // What each worker's two micro-batches add up to, and their mean over the workers.
  std::vector<torch::Tensor> expected;
  for (int w = 0; w < 2; ++w) {
    pf::models::Compact ref(co);
    {
      torch::NoGradGuard no_grad;
      auto rp = params_of(ref), src = params_of(nets[0]);
      for (size_t i = 0; i < rp.size(); ++i) rp[i].copy_(src[i]);
    }
    loss_of(ref, data[w][0]).backward();
    loss_of(ref, data[w][1]).backward();
    auto rp = params_of(ref);
    for (size_t i = 0; i < rp.size(); ++i) {
      if (w == 0)
        expected.push_back(rp[i].grad().clone() / 2);
      else
        expected[i] += rp[i].grad() / 2;
    }
  }

  size_t buckets[2] = {0, 0};
  std::exception_ptr failed[2];
  std::vector<double> sums[2];
  std::vector<uint8_t> bytes[2];
  const auto worker = [&](int rank) {
    try {
      Distributed dist(env_of(rank, port), torch::kCPU, std::chrono::seconds(60));
      // Small buckets: several collectives in flight during one backward pass.
      GradReducer reducer(dist, params_of(nets[rank]), 2048, 1024);
      buckets[rank] = reducer.bucket_count();
      loss_of(nets[rank], data[rank][0]).backward();  // accumulates only
      reducer.arm();
      loss_of(nets[rank], data[rank][1]).backward();
      reducer.finish();
      sums[rank] = dist.sum({1.0 + rank, rank == 1 ? 5.0 : 0.0});
      bytes[rank] =
          dist.broadcast_bytes(rank == 0 ? std::vector<uint8_t>{7, 8, 9} : std::vector<uint8_t>{});
    } catch (...) {
      failed[rank] = std::current_exception();
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  for (auto& f : failed)
    if (f) std::rethrow_exception(f);
  EXPECT_GT(buckets[0], 3u);
  for (int w = 0; w < 2; ++w) {
    auto p = params_of(nets[w]);
    for (size_t i = 0; i < p.size(); ++i)
      EXPECT_TRUE(torch::allclose(p[i].grad(), expected[i], 1e-5, 1e-7))
          << "worker " << w << " param " << i;
    EXPECT_EQ(sums[w], (std::vector<double>{3.0, 5.0}));
    EXPECT_EQ(bytes[w], (std::vector<uint8_t>{7, 8, 9}));
  }
}

TEST(DistEnv, ReadsTorchrunsVariablesAndNamesABadOne) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "2", 1);
  ::setenv("LOCAL_RANK", "0", 1);
  ::setenv("MASTER_PORT", "29511", 1);
  auto e = DistEnv::from_environment();
  EXPECT_TRUE(e.enabled());
  EXPECT_EQ(e.rank, 2);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 0);
  EXPECT_EQ(e.master_port, 29511);
  EXPECT_EQ(e.source, "torchrun");
  ::setenv("RANK", "4", 1);
  EXPECT_THROW(DistEnv::from_environment(), pf::ConfigError);
  ::setenv("RANK", "two", 1);
  EXPECT_THROW(DistEnv::from_environment(), pf::ConfigError);
  for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_PORT"}) ::unsetenv(v);
  // srun's variables count only with MASTER_ADDR exported (a plain salloc shell stays single).
  ::setenv("SLURM_NTASKS", "8", 1);
  ::setenv("SLURM_PROCID", "5", 1);
  ::setenv("SLURM_LOCALID", "1", 1);
  ::setenv("SLURM_NTASKS_PER_NODE", "4(x2)", 1);
  EXPECT_FALSE(DistEnv::from_environment().enabled());
  ::setenv("MASTER_ADDR", "node01", 1);
  e = DistEnv::from_environment();
  EXPECT_EQ(e.source, "slurm");
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 4);
  EXPECT_EQ(e.master_addr, "node01");
  for (const char* v :
       {"SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE", "MASTER_ADDR"})
    ::unsetenv(v);
  EXPECT_FALSE(DistEnv::from_environment().enabled());
}

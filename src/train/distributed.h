// Data-parallel training on c10d, LibTorch's own collectives: a TCPStore rendezvous, then
// ProcessGroupGloo on the CPU (ProcessGroupNCCL on CUDA where the LibTorch has it). Workers are
// started the way PyTorch users start them: torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), SLURM's (srun with MASTER_ADDR exported), or
// `pairforge train --nproc N`, which starts N local workers itself.
//
// Every worker computes the same model from its own share of each batch; GradReducer sums the
// gradients over the workers in buckets while the backward pass is still running and divides by
// the worker count, so N workers with batch B take the step one worker takes with batch N x B.
// A worker that dies closes its sockets and the others' next collective fails at once; one that
// hangs is caught by the collectives' timeout. Either way every worker stops with an error that
// says so, instead of waiting forever.
//
// This header needs no c10d headers: a build without Gloo's headers (libgloo-dev) still trains
// in one process and says what is missing when more are asked for.
#pragma once
#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pf::train {

struct DistEnv {
  int rank = 0, world_size = 1, local_rank = 0, local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;  // the --nproc parent hosts the TCPStore (PAIRFORGE_AGENT_STORE=1)
  std::string source;        // "torchrun", "slurm" or "" (one process)

  bool enabled() const { return world_size > 1; }
  // torchrun's variables when WORLD_SIZE is set; else SLURM's (SLURM_PROCID, SLURM_NTASKS,
  // SLURM_LOCALID, SLURM_NTASKS_PER_NODE) when MASTER_ADDR is exported; else one process.
  // Throws ConfigError naming a malformed variable.
  static DistEnv from_environment();
};

// True when this pairforge was built with c10d's Gloo backend.
bool distributed_available();
// True when it was also built with NCCL (a CUDA LibTorch that has ProcessGroupNCCL).
bool nccl_available();

class Distributed {
 public:
  // Joins the group: rendezvous through the TCPStore at MASTER_ADDR:MASTER_PORT (rank 0 hosts
  // it unless the --nproc parent does), then the process group on `device` (Gloo for the CPU,
  // NCCL for CUDA when built in, else Gloo). `timeout` bounds the rendezvous and every
  // collective. Throws Error naming the address on failure.
  Distributed(const DistEnv& env, const torch::Device& device, std::chrono::milliseconds timeout);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return env_.rank; }
  int size() const { return env_.world_size; }
  bool is_main() const { return env_.rank == 0; }
  const DistEnv& env() const { return env_; }
  std::string backend() const;

  // Sums every value over the workers (flags, logged losses; a few numbers).
  std::vector<double> sum(const std::vector<double>& values);
  // Rank 0's tensors into everyone's, in place (weights at the start).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Rank 0's bytes to everyone (a training state to resume from); others pass anything.
  std::vector<uint8_t> broadcast_bytes(const std::vector<uint8_t>& bytes);
  void barrier();

  // Starts summing `flat` over the workers in place; wait() blocks until it is done. Used by
  // GradReducer; one collective at a time is issued per call, in the caller's order.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void wait() = 0;
  };
  std::unique_ptr<Pending> sum_async(torch::Tensor& flat);

  struct Impl;

 private:
  DistEnv env_;
  std::unique_ptr<Impl> impl_;
};

// The rendezvous store of local workers, hosted by the `--nproc` parent (as torchrun's agent
// hosts it), so it outlives any one worker and its port is known before they start.
class StoreHost {
 public:
  // `port` 0: a free port is picked. Throws Error naming the address when it cannot listen.
  StoreHost(const std::string& addr, int port, int workers, std::chrono::milliseconds timeout);
  ~StoreHost();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// Averages gradients over the workers, bucket by bucket as the backward pass produces them:
// a post-hook on each parameter's gradient accumulator copies the gradient into its bucket,
// and a full bucket's sum starts at once (buckets start in a fixed order, the same on every
// worker, as DDP's reducer does), overlapping the rest of the backward pass.
class GradReducer {
 public:
  // `params`: what the optimiser steps (leaf tensors that require gradients), in module order.
  // Buckets fill from the last parameter back (the order gradients arrive in); the first is
  // kept small so communication starts early.
  GradReducer(Distributed& dist, std::vector<torch::Tensor> params, int64_t bucket_bytes = 25 << 20,
              int64_t first_bucket_bytes = 1 << 20);
  ~GradReducer();
  // The next backward pass is the last before a step: its gradients are reduced. (Earlier
  // micro-batches of accumulation only accumulate, as DDP's no_sync.)
  void arm();
  // After that backward pass: starts what is left, waits, and writes the means into .grad().
  void finish();
  size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> offset;  // element offset of each in flat
    torch::Tensor flat;
    size_t ready = 0;
    std::unique_ptr<Distributed::Pending> pending;
  };
  void on_gradient(size_t param);
  void launch_ready();
  void fill(Bucket& b, size_t slot);

  Distributed& dist_;
  std::vector<torch::Tensor> params_;
  std::vector<std::pair<size_t, size_t>> where_;  // param -> (bucket, slot)
  std::vector<std::function<void()>> unhooks_;    // remove the hooks (and keep their nodes alive)
  std::mutex mutex_;  // hooks run on the autograd engine's thread for the device
  std::vector<bool> seen_;
  std::vector<Bucket> buckets_;
  size_t next_launch_ = 0;
  bool armed_ = false;
};

}  // namespace pf::train

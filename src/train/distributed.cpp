#include "train/distributed.h"

#include <fmt/format.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <cstdlib>
#include <cstring>
#include <exception>

#include "core/error.h"

#ifdef PF_HAVE_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef PF_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace pf::train {

namespace {

const char* env_text(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// A non-negative integer variable ("4(x2)" reads as 4: SLURM's per-node counts).
int env_int(const char* name, int fallback) {
  const char* v = env_text(name);
  if (!v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (end == v || n < 0 || n > (1 << 24) || (*end != '\0' && *end != '('))
    throw ConfigError(fmt::format("environment variable {}='{}' is not a count", name, v));
  return static_cast<int>(n);
}

}  // namespace

DistEnv DistEnv::from_environment() {
  DistEnv e;
  if (const char* a = env_text("MASTER_ADDR")) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", 29500);
  if (e.master_port < 1 || e.master_port > 65535)
    throw ConfigError(fmt::format("MASTER_PORT={} is not a TCP port", e.master_port));
  if (env_text("WORLD_SIZE")) {
    e.source = "torchrun";
    e.world_size = env_int("WORLD_SIZE", 1);
    if (e.world_size > 1 && !env_text("RANK"))
      throw ConfigError("WORLD_SIZE is set but RANK is not (set both, as torchrun does)");
    e.rank = env_int("RANK", 0);
    e.local_rank = env_int("LOCAL_RANK", e.rank);
    e.local_world_size = env_int("LOCAL_WORLD_SIZE", e.world_size);
  } else if (env_text("MASTER_ADDR") && env_text("SLURM_NTASKS")) {
    // srun: one task per worker. MASTER_ADDR must be exported by the job script (the first
    // node of SLURM_JOB_NODELIST), which also keeps a plain salloc shell single-process.
    e.source = "slurm";
    e.world_size = env_int("SLURM_NTASKS", 1);
    e.rank = env_int("SLURM_PROCID", 0);
    e.local_rank = env_int("SLURM_LOCALID", 0);
    e.local_world_size =
        env_int("SLURM_NTASKS_PER_NODE", env_int("SLURM_TASKS_PER_NODE", e.world_size));
  }
  if (e.world_size < 1) e.world_size = 1;
  if (e.rank >= e.world_size)
    throw ConfigError(fmt::format("rank {} is not below the world size {}", e.rank, e.world_size));
  if (e.local_world_size < 1) e.local_world_size = 1;
  e.agent_store =
      env_text("PAIRFORGE_AGENT_STORE") && std::string(env_text("PAIRFORGE_AGENT_STORE")) == "1";
  return e;
}

namespace {

std::string lost_contact(const DistEnv& env, const std::exception& e) {
  return fmt::format(
      "data-parallel training: worker {} of {} lost contact with the others ({}); another "
      "worker has stopped or hangs: see its messages",
      env.rank, env.world_size, e.what());
}

}  // namespace

#ifdef PF_HAVE_C10D

bool distributed_available() {
  return true;
}

bool nccl_available() {
#ifdef PF_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  torch::Device device{torch::kCPU};  // where the collectives' tensors live
  std::string backend;
};

namespace {

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

class WorkPending final : public Distributed::Pending {
 public:
  WorkPending(c10::intrusive_ptr<c10d::Work> work, const DistEnv& env)
      : work_(std::move(work)), env_(env) {}
  void wait() override {
    try {
      work_->wait();
    } catch (const std::exception& e) {
      throw Error(lost_contact(env_, e));
    }
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  DistEnv env_;
};

}  // namespace

Distributed::Distributed(const DistEnv& env, const torch::Device& device,
                         std::chrono::milliseconds timeout)
    : env_(env), impl_(std::make_unique<Impl>()) {
  const std::string where = fmt::format("{}:{}", env.master_addr, env.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    so.isServer = env.rank == 0 && !env.agent_store;
    so.numWorkers = static_cast<size_t>(env.world_size);
    so.waitWorkers = false;  // the process group's rendezvous waits, under `timeout`
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw Error(fmt::format(
        "data-parallel rendezvous at {} failed for worker {} of {} ({}); check MASTER_ADDR and "
        "MASTER_PORT, and that every worker was started",
        where, env.rank, env.world_size, e.what()));
  }
  const auto prefixed = c10::make_intrusive<c10d::PrefixStore>("pairforge", impl_->store);
  try {
#ifdef PF_HAVE_NCCL
    if (device.is_cuda()) {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      impl_->pg =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, env.rank, env.world_size, opts);
      impl_->device = device;
      impl_->backend = "nccl";
      return;
    }
#endif
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* ifname = env_text("GLOO_SOCKET_IFNAME"))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (is_loopback(env.master_addr))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = 2;
    impl_->pg =
        c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env.rank, env.world_size, opts);
    // Gloo reduces CUDA tensors too (through host copies) when NCCL is not built in.
    impl_->device = device;
    impl_->backend = "gloo";
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format(
        "data-parallel training: worker {} of {} could not connect to the others through {} "
        "({}); on several machines set GLOO_SOCKET_IFNAME to the interface they share",
        env.rank, env.world_size, where, e.what()));
  }
}

Distributed::~Distributed() {
  // Unwinding from an error: a process group that still has a collective queued would wait
  // for the others in its destructor. The process is about to exit, and its sockets close
  // with it, which is what tells the others; so let go without destroying.
  if (std::uncaught_exceptions() > 0 && impl_) {
    (void)impl_->pg.release();
    (void)impl_->store.release();
    (void)impl_.release();
  }
}

std::string Distributed::backend() const {
  return impl_->backend;
}

std::vector<double> Distributed::sum(const std::vector<double>& values) {
  if (values.empty()) return values;
  auto t = torch::tensor(values, torch::kFloat64).to(impl_->device);
  std::vector<at::Tensor> v{t};
  WorkPending(impl_->pg->allreduce(v), env_).wait();
  t = v[0].to(torch::kCPU);
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

void Distributed::broadcast(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<at::Tensor> v{t.contiguous().to(impl_->device)};
    WorkPending(impl_->pg->broadcast(v), env_).wait();
    if (!is_main()) t.copy_(v[0]);
  }
}

std::vector<uint8_t> Distributed::broadcast_bytes(const std::vector<uint8_t>& bytes) {
  auto size = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64);
  broadcast({size});
  const int64_t n = size.item<int64_t>();
  auto data = torch::empty({n}, torch::kUInt8);
  if (is_main() && n > 0) std::memcpy(data.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  broadcast({data});
  return std::vector<uint8_t>(data.data_ptr<uint8_t>(), data.data_ptr<uint8_t>() + n);
}

void Distributed::barrier() {
  WorkPending(impl_->pg->barrier(), env_).wait();
}

std::unique_ptr<Distributed::Pending> Distributed::sum_async(torch::Tensor& flat) {
  std::vector<at::Tensor> v{flat};
  return std::make_unique<WorkPending>(impl_->pg->allreduce(v), env_);
}

struct StoreHost::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
};

StoreHost::StoreHost(const std::string& addr, int port, int workers,
                     std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = true;
    so.numWorkers = static_cast<size_t>(workers);
    so.waitWorkers = false;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(addr, so);
    port_ = impl_->store->getPort();
  } catch (const std::exception& e) {
    throw Error(
        fmt::format("cannot host the workers' rendezvous at {}:{} ({})", addr, port, e.what()));
  }
}

StoreHost::~StoreHost() = default;

#else  // no c10d: one process only

struct StoreHost::Impl {};
StoreHost::StoreHost(const std::string&, int, int workers, std::chrono::milliseconds) {
  throw Error(fmt::format(
      "data-parallel training ({} workers) needs c10d's Gloo backend, and this pairforge was "
      "built without it: install libgloo-dev (scripts/install-deps.sh) and rebuild",
      workers));
}
StoreHost::~StoreHost() = default;

bool distributed_available() {
  return false;
}
bool nccl_available() {
  return false;
}

struct Distributed::Impl {};

Distributed::Distributed(const DistEnv& env, const torch::Device&, std::chrono::milliseconds)
    : env_(env) {
  throw Error(fmt::format(
      "data-parallel training ({} workers) needs c10d's Gloo backend, and this pairforge was "
      "built without it: install libgloo-dev (scripts/install-deps.sh) and rebuild",
      env.world_size));
}
Distributed::~Distributed() = default;
std::string Distributed::backend() const {
  return "";
}
std::vector<double> Distributed::sum(const std::vector<double>& values) {
  return values;
}
void Distributed::broadcast(const std::vector<torch::Tensor>&) {}
std::vector<uint8_t> Distributed::broadcast_bytes(const std::vector<uint8_t>& bytes) {
  return bytes;
}
void Distributed::barrier() {}
std::unique_ptr<Distributed::Pending> Distributed::sum_async(torch::Tensor&) {
  return nullptr;
}

#endif

// ---- GradReducer ------------------------------------------------------------------------

GradReducer::GradReducer(Distributed& dist, std::vector<torch::Tensor> params, int64_t bucket_bytes,
                         int64_t first_bucket_bytes)
    : dist_(dist), params_(std::move(params)) {
  where_.resize(params_.size());
  seen_.assign(params_.size(), false);
  // Gradients arrive roughly from the last layer back: fill buckets in that order.
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const auto& p = params_[k];
    const int64_t cap = buckets_.size() <= 1 ? first_bucket_bytes : bucket_bytes;
    if (buckets_.empty() || bytes >= cap || buckets_.back().flat.scalar_type() != p.scalar_type()) {
      buckets_.emplace_back();
      buckets_.back().flat = torch::empty({0}, p.options());
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    const int64_t at = b.offset.empty() ? 0 : b.offset.back() + params_[b.params.back()].numel();
    where_[k] = {buckets_.size() - 1, b.params.size()};
    b.params.push_back(k);
    b.offset.push_back(at);
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  for (auto& b : buckets_) {
    const int64_t n = b.offset.back() + params_[b.params.back()].numel();
    b.flat = torch::zeros({n}, params_[b.params.front()].options().requires_grad(false));
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    auto acc = torch::autograd::impl::grad_accumulator(params_[k]);
    if (!acc) throw Error("GradReducer: a parameter does not require gradients");
    const auto key = acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, k](const torch::autograd::variable_list& outputs,
                  const torch::autograd::variable_list&) {
          on_gradient(k);
          return outputs;
        }));
    unhooks_.push_back([acc, key] { acc->del_post_hook(key); });
  }
}

GradReducer::~GradReducer() {
  for (auto& u : unhooks_) u();
}

void GradReducer::arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
}

void GradReducer::fill(Bucket& b, size_t slot) {
  const torch::Tensor& p = params_[b.params[slot]];
  auto dst = b.flat.narrow(0, b.offset[slot], p.numel()).view(p.sizes());
  torch::NoGradGuard no_grad;
  if (p.grad().defined())
    dst.copy_(p.grad());
  else
    dst.zero_();
}

void GradReducer::on_gradient(size_t k) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || seen_[k]) return;
  seen_[k] = true;
  const auto [bucket, slot] = where_[k];
  fill(buckets_[bucket], slot);
  ++buckets_[bucket].ready;
  launch_ready();
}

// Buckets start strictly in order, so every worker issues its collectives in the same order
// whatever order its gradients arrived in.
void GradReducer::launch_ready() {
  while (next_launch_ < buckets_.size() &&
         buckets_[next_launch_].ready == buckets_[next_launch_].params.size()) {
    Bucket& b = buckets_[next_launch_++];
    b.pending = dist_.sum_async(b.flat);
  }
}

void GradReducer::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;
  // Parameters the pass did not reach (none in the supported networks) go in as zeros.
  for (auto& b : buckets_)
    for (size_t slot = 0; slot < b.params.size(); ++slot)
      if (!seen_[b.params[slot]]) {
        fill(b, slot);
        seen_[b.params[slot]] = true;
        ++b.ready;
      }
  launch_ready();
  torch::NoGradGuard no_grad;
  const double scale = 1.0 / dist_.size();
  for (auto& b : buckets_) {
    b.pending->wait();
    b.pending.reset();
    b.flat.mul_(scale);
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      torch::Tensor& p = params_[b.params[slot]];
      const auto mean = b.flat.narrow(0, b.offset[slot], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(mean);
      else
        p.mutable_grad() = mean.clone().contiguous(p.suggest_memory_format());
    }
    b.ready = 0;
  }
  std::fill(seen_.begin(), seen_.end(), false);
  next_launch_ = 0;
  armed_ = false;
}

}  // namespace pf::train

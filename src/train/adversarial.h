// The discriminator's side of GAN training, as traiNNer-redux's SRModel.optimize_parameters
// runs it. Per micro-batch:
//   generator pass  D's weights frozen; ganloss judges D(output) as real (gradients reach the
//                   output only)
//   D pass          D(HQ) judged real, D(output.detach()) judged fake, both with weight 1;
//                   (l_d_real + l_d_fake) / accum_iter backward
// and after the last micro-batch one optimiser step (optim_d: its own learning rate on the
// generator's schedule and warm-up; the same gradient clipping; its own fp16 loss scale). The
// discriminator has no EMA; it is saved as models/net_d_<iter> (params) and in the training
// state with its optimiser. adaptive_d skips the D pass while the moving average of the
// generator's GAN loss rises by more than adaptive_d_threshold.
#pragma once
#include <torch/nn.h>

#include <map>
#include <memory>
#include <string>

#include "train/config.h"
#include "train/loss_scaler.h"
#include "train/losses/gan_loss.h"
#include "train/optimizer.h"
#include "train/run_state.h"

namespace pf::train {

class Distributed;
class GradReducer;

struct AdversaryOptions {
  torch::Device device{torch::kCPU};
  bool channels_last = false;
  bool autocast = false;  // mixed precision (CUDA)
  torch::ScalarType amp_dtype = torch::kFloat16;
  Distributed* dist = nullptr;  // data-parallel: D's gradients are averaged over the workers
};

class Adversary {
 public:
  // Builds network_d (and loads path.pretrain_network_d) and optim_d from a config that has
  // them; `loss` is the config's ganloss (owned by the trainer).
  Adversary(const TrainConfig& config, const GanLoss& loss, AdversaryOptions options);
  ~Adversary();

  // The generator pass: D(image) with D's weights frozen.
  torch::Tensor discriminate(const torch::Tensor& image);
  // adaptive_d: the generator's GAN loss (unweighted) of this micro-batch, summed over the
  // workers and divided by their number; decides whether this micro-batch's D pass runs.
  void observe_generator_loss(double loss);
  // The D pass of one micro-batch; `last`: the last of the iteration (gradients are then
  // reduced over the workers). Adds l_d_real, l_d_fake, out_d_real, out_d_fake to `logged`.
  void backward(const torch::Tensor& gt, const torch::Tensor& output, int64_t accum, bool last,
                std::map<std::string, double>& logged);
  // The optimiser step after the iteration's micro-batches (unless the last D pass was
  // skipped); grad_norm_d is logged with grad_clip.
  void step(int64_t iteration, std::map<std::string, double>& logged);

  // models/net_d_<iter>.<format> (params).
  void save_model(const std::string& path, const std::map<std::string, std::string>& metadata);
  // Into / from a training state (weights, optimiser, counters).
  void store(TrainingState& state) const;
  void restore(const TrainingState& state, const std::string& label);
  // Data-parallel start: rank 0's weights to every worker.
  void broadcast_weights();
  torch::nn::Module& net() { return *net_.ptr(); }

 private:
  void set_trainable(bool on);

  const TrainConfig& c_;
  const GanLoss& loss_;
  AdversaryOptions o_;
  torch::nn::AnyModule net_;
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::unique_ptr<AdamOptimizer> optim_;
  LossScaler scaler_;
  std::unique_ptr<GradReducer> reducer_;
  double gan_ema_ = 0;       // adaptive_d's moving average (traiNNer-redux starts it at 0)
  bool skip_micro_ = false;  // adaptive_d: this micro-batch's D pass is skipped
  bool stepping_ = false;    // the last D pass ran: step
};

}  // namespace pf::train

#include "train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "infer/device.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "models/span.h"
#include "models/zip.h"
#include "train/adversarial.h"
#include "train/autocast.h"
#include "train/distributed.h"
#include "train/ema.h"
#include "train/loader.h"
#include "train/loss_scaler.h"
#include "train/losses/gan_loss.h"
#include "train/losses/image_ops.h"
#include "train/optimizer.h"
#include "train/run_state.h"
#include "train/scheduler.h"
#include "train/train_log.h"
#include "train/validation.h"

namespace fs = std::filesystem;

namespace pf::train {

namespace {

using Clock = std::chrono::steady_clock;

bool is_eval_conv(const std::string& name) {
  return name.find("eval_conv") != std::string::npos;
}

// The trainable parameters by name (SPAN's eval_conv is derived from its branches, not trained).
NamedTorch trainable(torch::nn::Module& net) {
  NamedTorch out;
  for (auto& p : net.named_parameters(true)) {
    if (is_eval_conv(p.key())) {
      p.value().set_requires_grad(false);
      continue;
    }
    out.emplace_back(p.key(), p.value());
  }
  return out;
}

NamedTorch all_tensors(torch::nn::Module& net) {
  NamedTorch out;
  for (auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

void copy_into(torch::nn::Module& net, const NamedTorch& from, const std::string& label) {
  torch::NoGradGuard no_grad;
  auto dst = all_tensors(net);
  for (auto& [name, t] : dst) {
    const torch::Tensor* src = nullptr;
    for (const auto& kv : from)
      if (kv.first == name) src = &kv.second;
    if (!src || src->sizes() != t.sizes())
      throw ModelError(label + ": '" + name + "' is missing or has another shape (was the state " +
                       "written for another network_g?)");
    t.copy_(*src);
  }
}

void reparameterize(torch::nn::Module& net) {
  if (auto* span = net.as<models::SPANImpl>()) span->reparameterize();
}

class Session {
 public:
  Session(TrainConfig config, TrainData data, const TrainerOptions& options)
      : c_(std::move(config)),
        data_(std::move(data)),
        o_(options),
        paths_((fs::path(o_.experiments_root) / c_.name).string()) {}

  TrainResult run();

 private:
  void setup();
  void resume_from(const TrainingState& state, const std::string& label);
  bool main_rank() const { return !dist_ || dist_->is_main(); }
  // Data-parallel: true when any worker says so (every worker gets the same answer).
  bool any_worker(bool flag);
  // One optimiser step; false when it was skipped (non-finite loss or fp16 overflow).
  bool step(Loader& loader, int64_t iter, std::map<std::string, double>& logged);
  torch::Tensor ema_output(const torch::Tensor& lq);
  void save(int64_t iter);
  void log_progress(int64_t iter, TrainLog& log, Loader& loader);
  ValResult validate(int64_t iter, TrainLog& log);
  bool validation_due(int64_t iter) const {
    return c_.val.val_enabled && !data_.val.empty() &&
           (iter % c_.val.val_freq == 0 || iter == c_.train.total_iter);
  }

  TrainConfig c_;
  TrainData data_;
  TrainerOptions o_;
  RunPaths paths_;
  torch::Device device_{torch::kCPU};
  torch::nn::AnyModule net_, ema_net_;
  std::unique_ptr<Ema> ema_;
  std::unique_ptr<AdamOptimizer> optim_;
  std::unique_ptr<LossScaler> scaler_;
  std::vector<std::unique_ptr<Loss>> losses_;
  std::unique_ptr<Adversary> adversary_;  // GAN training (network_d)
  Distributed* dist_ = nullptr;           // data-parallel group, or none
  std::unique_ptr<GradReducer> reducer_;  // the generator's gradients over the workers
  bool autocast_ = false;
  torch::ScalarType amp_dtype_ = torch::kFloat16;
  int64_t start_iter_ = 0, nan_count_ = 0, last_saved_ = -1;
  uint64_t seed_ = 0;
  std::optional<uint64_t> resumed_seed_;  // the state's seed, read before setup()
  Clock::time_point window_start_, run_start_;
  std::unique_ptr<Progress> bar_;
  std::map<std::string, std::map<std::string, double>> bicubic_cache_;
  TrainResult result_;
};

void Session::setup() {
  infer::set_threads(o_.threads);
  std::string device = o_.device;
  if (device == "auto" && c_.num_gpu == "0") device = "cpu";
  device_ = infer::resolve_device(device);
  if (c_.use_amp && !device_.is_cuda()) {
    spdlog::warn("use_amp: mixed precision runs on CUDA only; training on the CPU in fp32");
  } else if (c_.use_amp) {
    autocast_ = true;
    amp_dtype_ = c_.amp_bf16 ? torch::kBFloat16 : torch::kFloat16;
  }
  scaler_ = std::make_unique<LossScaler>(autocast_ && amp_dtype_ == torch::kFloat16);

  // The seed: a resumed run's recorded one, else the config's, else drawn once and recorded.
  if (resumed_seed_) {
    seed_ = *resumed_seed_;
    if (c_.manual_seed < 0)
      spdlog::info("resume: manual_seed not set: continuing with the run's recorded seed {}",
                   seed_);
    else if (static_cast<uint64_t>(c_.manual_seed) != seed_)
      spdlog::warn(
          "resume: the config's manual_seed {} is ignored: the run continues with its "
          "recorded seed {}",
          c_.manual_seed, seed_);
    c_.manual_seed = static_cast<int64_t>(seed_);
  } else if (c_.manual_seed >= 0) {
    seed_ = static_cast<uint64_t>(c_.manual_seed);
  } else {
    std::random_device rd;
    seed_ = (static_cast<uint64_t>(rd()) << 20 ^ rd()) % 100000000;
    if (dist_) {  // rank 0's draw for everyone
      auto t = torch::tensor({static_cast<int64_t>(seed_)}, torch::kInt64);
      dist_->broadcast({t});
      seed_ = static_cast<uint64_t>(t.item<int64_t>());
    }
    c_.manual_seed = static_cast<int64_t>(seed_);
    spdlog::info("manual_seed not set: using {} (recorded in the run's config and states)", seed_);
  }
  torch::manual_seed(seed_);
  net_ = models::build_model(c_.network_g.spec);
  net_.ptr()->train();
  if (!c_.path.pretrain_network_g.empty()) {
    const auto r = load_pretrain(*net_.ptr(), c_.path.pretrain_network_g, c_.path.param_key_g,
                                 c_.path.strict_load_g, "network_g", &c_.network_g.spec);
    spdlog::info("pretrain {}: {} weights loaded{}", c_.path.pretrain_network_g, r.loaded.size(),
                 r.wrapper.empty() ? "" : " from '" + r.wrapper + "'");
    for (const auto& s : r.skipped) spdlog::warn("pretrain: skipped {}", s);
    for (const auto& s : r.unused) spdlog::warn("pretrain: unused weight {}", s);
  }
  if (c_.use_channels_last) models::use_channels_last(*net_.ptr());
  net_.ptr()->to(device_);
  optim_ = std::make_unique<AdamOptimizer>(trainable(*net_.ptr()), c_.train.optim_g);
  if (c_.train.ema_decay > 0) {
    ema_net_ = models::build_model(c_.network_g.spec);
    if (!c_.path.pretrain_network_g_ema.empty())
      load_pretrain(*ema_net_.ptr(), c_.path.pretrain_network_g_ema, "params_ema",
                    c_.path.strict_load_g, "network_g", &c_.network_g.spec);
    else
      copy_into(*ema_net_.ptr(), all_tensors(*net_.ptr()), "EMA");
    ema_net_.ptr()->to(device_);
    ema_net_.ptr()->eval();
    EmaOptions eo;
    eo.decay = c_.train.ema_decay;
    eo.power = c_.train.ema_power;
    eo.update_after_step = c_.train.ema_update_after_step;
    ema_ = std::make_unique<Ema>(*net_.ptr(), *ema_net_.ptr(), eo);
  }
  Warnings ignored;  // the config reader already reported the losses' warnings
  losses_ = make_losses(c_.train.losses, ignored);
  if (c_.network_d) {
    const GanLoss* gan = nullptr;
    for (const auto& l : losses_)
      if (auto* g = dynamic_cast<const GanLoss*>(l.get())) gan = g;
    if (!gan) throw Error("network_d is set but no ganloss is built");
    AdversaryOptions ao;
    ao.device = device_;
    ao.channels_last = c_.use_channels_last;
    ao.autocast = autocast_;
    ao.amp_dtype = amp_dtype_;
    ao.dist = dist_;
    adversary_ = std::make_unique<Adversary>(c_, *gan, ao);
  }
  if (dist_) {
    // Every worker starts from rank 0's weights (its pretrain, its random draw).
    std::vector<torch::Tensor> ts;
    for (auto& kv : all_tensors(*net_.ptr())) ts.push_back(kv.second);
    if (ema_)
      for (auto& kv : all_tensors(*ema_net_.ptr())) ts.push_back(kv.second);
    dist_->broadcast(ts);
    if (adversary_) adversary_->broadcast_weights();
    std::vector<torch::Tensor> params;
    for (const auto& kv : optim_->params()) params.push_back(kv.second);
    reducer_ = std::make_unique<GradReducer>(*dist_, params);
  }
}

bool Session::any_worker(bool flag) {
  if (!dist_) return flag;
  return dist_->sum({flag ? 1.0 : 0.0})[0] > 0;
}

void Session::resume_from(const TrainingState& s, const std::string& path) {
  if (s.counters.count("arch") && s.counters.at("arch") != c_.network_g.spec.arch)
    throw ConfigError(path + ": the state is of a " + s.counters.at("arch") +
                      " network, the config trains " + c_.network_g.spec.arch);
  copy_into(*net_.ptr(), s.net_g, path);
  if (ema_) {
    if (s.net_g_ema.empty())
      throw ConfigError(path + ": the state has no EMA weights but ema_decay is set");
    copy_into(*ema_net_.ptr(), s.net_g_ema, path);
    ema_->restore(std::stoll(s.counters.at("ema_step")), s.counters.at("ema_initted") == "1");
  }
  optim_->load_state(s.optimizer, path);
  if (adversary_) adversary_->restore(s, path);
  if (s.counters.count("loss_scale"))
    scaler_->restore(std::stod(s.counters.at("loss_scale")),
                     std::stoll(s.counters.at("loss_scale_growth")));
  start_iter_ = s.iteration;
  last_saved_ = s.iteration;
  spdlog::info("resumed from {} at iteration {}", path, s.iteration);
}

bool Session::step(Loader& loader, int64_t iter, std::map<std::string, double>& logged) {
  const int64_t accum = c_.train_sets[0].accum_iter;
  const auto format =
      c_.use_channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  std::map<std::string, double> step_losses, d_losses;
  bool finite = true;
  for (int64_t m = 0; m < accum; ++m) {
    Batch b = loader.next();
    const auto lq = b.lq.to(device_).contiguous(format);
    const auto gt = b.gt.to(device_).contiguous(format);
    const bool last_micro = m + 1 == accum;
    torch::Tensor out;
    {
      // Autocast covers the network only; the losses run in float32 as traiNNer-redux's
      // custom_fwd(cast_inputs=float32) losses do.
      AutocastScope amp(autocast_, amp_dtype_);
      out = net_.forward(lq);
    }
    out = out.to(torch::kFloat32);
    torch::Tensor total = torch::zeros({}, out.options());
    torch::Tensor lq_target;
    for (size_t i = 0; i < losses_.size(); ++i) {
      const auto& lc = c_.train.losses[i];
      const torch::Tensor* target = &gt;
      if (lc.target_lq) {
        if (!lq_target.defined()) {
          torch::NoGradGuard no_grad;
          lq_target = resize_bicubic_aa(lq.to(torch::kFloat32), gt.size(2), gt.size(3)).clamp(0, 1);
        }
        target = &lq_target;
      }
      LossInputs in{out, *target, nullptr, nullptr};
      if (adversary_)
        in.discriminate = [this](const torch::Tensor& x) { return adversary_->discriminate(x); };
      if (ema_) in.ema_output = [this, &lq] { return ema_output(lq); };
      const LossParts parts = losses_[i]->evaluate(in);
      if (adversary_ && lc.type == "ganloss")
        adversary_->observe_generator_loss(parts.front().second.item<double>());
      for (const auto& [part, value] : parts) {
        const auto weighted = value * lc.weight;
        total = total + weighted / static_cast<double>(accum);
        const std::string label = part.empty() ? lc.label : lc.label + "_" + part;
        step_losses[label] += weighted.item<double>() / static_cast<double>(accum);
      }
    }
    // Workers skip a step together: one's non-finite loss is everyone's.
    if (any_worker(!std::isfinite(total.item<double>()))) {
      finite = false;
      break;
    }
    if (reducer_ && last_micro) reducer_->arm();
    scaler_->scale_loss(total).backward();
    if (reducer_ && last_micro) reducer_->finish();
    if (adversary_) adversary_->backward(gt, out, accum, last_micro, d_losses);
  }
  if (!finite) {
    optim_->zero_grad();
    if (++nan_count_ > 10)
      throw Error(fmt::format(
          "training failed: NaN or Inf losses 10 iterations in a row (iteration {}); try a "
          "lower learning rate",
          iter));
    spdlog::warn("iteration {}: NaN/Inf loss, update skipped ({} in a row)", iter, nan_count_);
    return false;
  }
  nan_count_ = 0;
  std::vector<torch::Tensor> params;
  for (const auto& kv : optim_->params()) params.push_back(kv.second);
  const bool ok = scaler_->unscale(params);
  scaler_->update(!ok);
  if (!ok) {
    optim_->zero_grad();
    return false;
  }
  if (c_.train.grad_clip)
    step_losses["grad_norm"] = clip_grad_norm(params, c_.train.grad_clip_max_norm);
  optim_->set_lr(
      learning_rate(c_.train.scheduler, c_.train.optim_g.lr, iter, c_.train.warmup_iter));
  optim_->step();
  optim_->zero_grad();
  if (ema_) ema_->update();
  if (adversary_) adversary_->step(iter, d_losses);
  double total_logged = 0;
  for (const auto& [k, v] : step_losses)
    if (k != "grad_norm") total_logged += v;
  step_losses["total"] = total_logged;
  // The discriminator's terms are logged beside the generator's total, not in it.
  step_losses.insert(d_losses.begin(), d_losses.end());
  logged = std::move(step_losses);
  return true;
}

torch::Tensor Session::ema_output(const torch::Tensor& lq) {
  // The EMA copy in its training form (SPAN's branches, which the EMA follows; its eval_conv
  // is only folded when saved), without gradients.
  torch::NoGradGuard no_grad;
  ema_net_.ptr()->train();
  torch::Tensor out;
  {
    AutocastScope amp(autocast_, amp_dtype_);
    out = ema_net_.forward(lq);
  }
  ema_net_.ptr()->eval();
  return out.to(torch::kFloat32);
}

void Session::save(int64_t iter) {
  const std::string& fmt = c_.logger.save_checkpoint_format;
  models::Metadata meta = c_.network_g.spec.to_metadata();
  meta["pairforge_iteration"] = std::to_string(iter);
  meta["pairforge_experiment"] = c_.name;
  result_.model_files.clear();
  reparameterize(*net_.ptr());
  models::PthOptions params;
  params.key = "params";
  const std::string g = paths_.model_file("net_g", iter, fmt);
  models::write_checkpoint(g, models::module_state(*net_.ptr()), meta, params);
  result_.model_files.push_back(g);
  if (ema_) {
    reparameterize(*ema_net_.ptr());
    const std::string e = paths_.model_file("net_g_ema", iter, fmt);
    models::write_checkpoint(e, models::module_state(*ema_net_.ptr()), meta, {});
    result_.model_files.push_back(e);
  }
  if (adversary_) {
    const std::string d = paths_.model_file("net_d", iter, fmt);
    adversary_->save_model(
        d, {{"pairforge_iteration", std::to_string(iter)}, {"pairforge_experiment", c_.name}});
    result_.model_files.push_back(d);
  }
  TrainingState s;
  s.iteration = iter;
  s.net_g = all_tensors(*net_.ptr());
  if (ema_) s.net_g_ema = all_tensors(*ema_net_.ptr());
  s.optimizer = optim_->state();
  s.counters = {{"arch", c_.network_g.spec.arch},
                {"manual_seed", std::to_string(seed_)},
                {"ema_step", ema_ ? std::to_string(ema_->step()) : "0"},
                {"ema_initted", ema_ && ema_->initted() ? "1" : "0"},
                {"loss_scale", fmt::format("{}", scaler_->scale())},
                {"loss_scale_growth", std::to_string(scaler_->growth_tracker())},
                {"experiment", c_.name}};
  if (adversary_) adversary_->store(s);
  result_.last_state = paths_.state_file(iter);
  save_state(result_.last_state, s);
  last_saved_ = iter;
}

void Session::log_progress(int64_t iter, TrainLog& log, Loader& loader) {
  const auto now = Clock::now();
  const double window_s = std::chrono::duration<double>(now - window_start_).count();
  const double elapsed = std::chrono::duration<double>(now - run_start_).count();
  auto w = log.take();
  if (dist_) {
    // The record is the workers' mean (each worker's losses are over its share of the batch).
    std::vector<double> values;
    for (const auto& kv : w.losses) values.push_back(kv.second);
    values = dist_->sum(values);
    size_t i = 0;
    for (auto& kv : w.losses) kv.second = values[i++] / dist_->size();
  }
  const double wait = loader.take_wait_seconds();
  if (!main_rank()) {
    window_start_ = now;
    return;
  }
  const double rate = window_s > 0 ? static_cast<double>(w.iterations) / window_s : 0;
  const double eta = rate > 0 ? static_cast<double>(c_.train.total_iter - iter) / rate : 0;
  const double lr =
      learning_rate(c_.train.scheduler, c_.train.optim_g.lr, iter, c_.train.warmup_iter);
  nlohmann::json losses = nlohmann::json::object();
  std::string text;
  for (const auto& [k, v] : w.losses) {
    if (k == "grad_norm") continue;
    losses[k] = v;
    if (k != "total") text += fmt::format(" {} {:.4g}", k, v);
  }
  nlohmann::json r = {
      {"event", "train"},
      {"iter", iter},
      {"time",
       std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()},
      {"elapsed_s", elapsed},
      {"lr", lr},
      {"losses", losses},
      {"it_per_s", rate},
      {"data_wait_share", window_s > 0 ? wait / window_s : 0},
      {"eta_s", eta}};
  if (w.losses.count("grad_norm")) r["grad_norm"] = w.losses.at("grad_norm");
  log.write(r);
  window_start_ = now;
  if (bar_) {
    bar_->set_note(fmt::format("lr {:.3g}{}", lr, text));
  } else {
    spdlog::info("iter {:>7}/{}  {:.2f} it/s  data wait {:.0f} %  lr {:.3g} {}  ETA {:.0f} s", iter,
                 c_.train.total_iter, rate, window_s > 0 ? 100 * wait / window_s : 0, lr, text,
                 eta);
  }
}

ValResult Session::validate(int64_t iter, TrainLog& log) {
  torch::nn::Module& source = ema_ ? *ema_net_.ptr() : *net_.ptr();
  ValidationRun v;
  v.spec = c_.network_g.spec;
  v.weights = all_tensors(source);
  v.device = device_.str();
  v.tile = c_.val.tile_size;
  v.overlap = c_.val.tile_overlap;
  v.metrics = c_.val.metrics_enabled ? c_.val.metrics : std::vector<MetricOptions>{};
  v.save_dir = c_.val.save_img ? paths_.visualization : "";
  v.suffix = c_.val.suffix;
  v.write_image = data_.write_image;
  v.bicubic_cache = &bicubic_cache_;
  const ValOutcome out = run_validation(v, data_.val, iter);
  ValResult r{iter, out.metrics, out.bicubic};
  nlohmann::json images = nlohmann::json::array();
  for (const auto& im : out.images) {
    nlohmann::json j = {{"name", im.name}, {"lq", im.lq_path}, {"gt", im.gt_path}};
    if (!im.output.empty()) j["output"] = fs::relative(im.output, paths_.root).generic_string();
    for (const auto& [k, val] : im.metrics) j[k] = val;
    images.push_back(j);
  }
  log.write(
      {{"event", "val"},
       {"iter", iter},
       {"time",
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()},
       {"metrics", out.metrics},
       {"bicubic", out.bicubic},
       {"images", images}});
  std::string text;
  for (const auto& [k, val] : out.metrics)
    text += fmt::format("  {} {:.4f} (bicubic {:.4f})", k, val,
                        out.bicubic.count(k) ? out.bicubic.at(k) : 0.0);
  if (bar_) std::fputc('\n', stderr);
  spdlog::info("validation at {}:{}{}", iter, text.empty() ? " images written" : "", text);
  return r;
}

TrainResult Session::run() {
  dist_ = o_.dist;
  result_.run_dir = paths_.root;
  // Rank 0 alone reads and writes the run folder; the others get what they need from it.
  std::string state_path;
  if (main_rank()) {
    if (o_.resume == "auto") {
      std::vector<std::string> skipped;
      if (auto p = newest_state(paths_.states, &skipped)) state_path = *p;
      for (const auto& s : skipped) spdlog::warn("resume: skipping unreadable state: {}", s);
      if (state_path.empty())
        spdlog::info("resume auto: no training state in {}, starting from scratch", paths_.states);
    } else if (!o_.resume.empty()) {
      state_path = o_.resume;
    } else if (!c_.path.resume_state.empty()) {
      state_path = c_.path.resume_state;
    }
    std::error_code ec;
    // A fresh run moves an earlier run of the same name aside. `--resume auto` without a state
    // continues in the folder instead: it reruns a run killed before its first state, whose
    // models and images this run rewrites byte for byte (moving it aside made one stray copy per
    // kill).
    if (state_path.empty() && o_.resume != "auto" && fs::exists(paths_.root, ec)) {
      const std::string archived = archive_name(paths_.root);
      fs::rename(paths_.root, archived, ec);
      if (ec) throw IoError("cannot archive the old run " + paths_.root + ": " + ec.message());
      spdlog::info("{} existed: moved to {} (use --resume auto to continue a run)", paths_.root,
                   archived);
    }
    fs::create_directories(paths_.models, ec);
    fs::create_directories(paths_.states, ec);
    if (ec) throw IoError("cannot create " + paths_.root + ": " + ec.message());
    remove_stale_temps(paths_.root);
  }

  // The state is read before setup: its recorded seed is the run's seed.
  std::optional<TrainingState> state;
  if (!dist_) {
    if (!state_path.empty()) state = load_state(state_path);
  } else {
    std::vector<uint8_t> bytes;
    if (main_rank() && !state_path.empty()) bytes = models::read_file_bytes(state_path);
    bytes = dist_->broadcast_bytes(bytes);
    if (!bytes.empty())
      state = parse_state(bytes, state_path.empty() ? "rank 0's state" : state_path);
  }
  if (state && state->counters.count("manual_seed"))
    resumed_seed_ = std::stoull(state->counters.at("manual_seed"));
  setup();
  if (state) resume_from(*state, state_path.empty() ? "rank 0's state" : state_path);
  result_.first_iteration = start_iter_ + 1;
  if (main_rank()) {
    if (!o_.config_text.empty())
      write_file_atomic((fs::path(paths_.root) / fs::path(c_.file).filename()).string(),
                        std::string_view(o_.config_text));
    write_file_atomic(paths_.resolved_config, std::string_view(c_.resolved_yaml()));
  }
  TrainLog log(main_rank() ? paths_.log : "", start_iter_);
  // A run that stopped between the state of a validation iteration and that validation's record
  // (a kill -9 while it ran, or a failure in it) would resume past it and never validate there:
  // the log says whether it did. (Found by bench/fault_soak.sh kill-train: the final images
  // were missing after a kill right after the last state.)
  if (main_rank() && start_iter_ > 0 && validation_due(start_iter_)) {
    bool logged = false;
    for (const auto& r : read_train_log(paths_.log))
      logged |= r.value("event", "") == "val" && r.value("iter", int64_t{-1}) == start_iter_;
    if (!logged) {
      spdlog::info("resume: validating iteration {}, which the stopped run did not finish",
                   start_iter_);
      result_.validations.push_back(validate(start_iter_, log));
    }
  }

  const auto& ds = c_.train_sets[0];
  LoaderOptions lo;
  lo.batch = ds.batch_size_per_gpu;
  lo.accum = ds.accum_iter;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = o_.loader_threads > 0 ? o_.loader_threads : static_cast<int>(ds.num_worker_per_gpu);
  if (threads <= 0 || threads > cores) threads = cores;
  lo.threads = threads;
  lo.prefetch = std::max<int64_t>(2, 2 * threads / std::max<int64_t>(1, lo.batch) + 2);
  lo.seed = seed_;
  lo.first_iteration = start_iter_ + 1;
  if (dist_) {
    lo.rank = dist_->rank();
    lo.world = dist_->size();
  }
  spdlog::info("training {} x{} ({}) on {}, {} iterations from {}; data: {}; {} loader threads",
               c_.network_g.type, c_.scale, c_.network_g.spec.arch, device_.str(),
               c_.train.total_iter, start_iter_ + 1, data_.describe, threads);
  if (dist_)
    spdlog::info("data-parallel: {} workers over {} ({}), batch {} per worker, {} in all",
                 dist_->size(), dist_->backend(),
                 dist_->env().agent_store ? "--nproc" : dist_->env().source, lo.batch,
                 lo.batch * lo.world);
  Loader loader(*data_.train, lo);
  if (o_.progress_bar && main_rank())
    bar_ = std::make_unique<Progress>("train", c_.train.total_iter, true, "iterations", "");
  if (bar_) bar_->advance(start_iter_, 0);
  run_start_ = window_start_ = Clock::now();
  result_.last_iteration = start_iter_;

  int64_t iter = start_iter_;
  try {
    while (iter < c_.train.total_iter) {
      const int64_t next = iter + 1;
      std::map<std::string, double> losses;
      if (step(loader, next, losses)) log.add(losses);
      iter = next;
      result_.last_iteration = iter;
      if (bar_) bar_->advance(1, 1);
      if (iter % c_.logger.print_freq == 0) log_progress(iter, log, loader);
      const bool last = iter == c_.train.total_iter;
      if (main_rank() && (iter % c_.logger.save_checkpoint_freq == 0 || last)) save(iter);
      if (main_rank() && validation_due(iter)) result_.validations.push_back(validate(iter, log));
      if (o_.after_iteration) o_.after_iteration(iter);
      // Workers stop together: one's Ctrl-C (or SIGTERM) is everyone's, at the same iteration.
      if (any_worker(interrupted()) && !last) {
        if (main_rank() && last_saved_ != iter) save(iter);
        result_.interrupted = true;
        if (bar_) std::fputc('\n', stderr);
        if (main_rank())
          spdlog::warn("interrupted at iteration {}: state saved to {}; rerun with --resume auto",
                       iter, result_.last_state);
        break;
      }
    }
  } catch (...) {
    // Keep what was learnt: the weights are those after the last completed iteration.
    if (main_rank() && iter > start_iter_ && last_saved_ != iter) {
      try {
        save(iter);
        spdlog::error("training stopped at iteration {}; state saved to {}", iter,
                      result_.last_state);
      } catch (const std::exception& e) {
        spdlog::error("could not save a state after the failure: {}", e.what());
      }
    }
    throw;
  }
  if (bar_) bar_->finish();
  return result_;
}

}  // namespace

TrainResult run_training(TrainConfig config, TrainData data, const TrainerOptions& options) {
  if (!data.train) throw Error("run_training: no training data");
  Session s(std::move(config), std::move(data), options);
  return s.run();
}

std::vector<std::string> check_models(const TrainConfig& c) {
  std::vector<std::string> lines;
  auto net = models::build_model(c.network_g.spec);
  const auto pretrain = [&](const std::string& path, const std::string& key, const char* what) {
    if (path.empty()) return;
    const auto r =
        load_pretrain(*net.ptr(), path, key, c.path.strict_load_g, "network_g", &c.network_g.spec);
    lines.push_back(fmt::format("{}: {}: {} weights loaded{}{}", what, path, r.loaded.size(),
                                r.wrapper.empty() ? "" : " from '" + r.wrapper + "'",
                                r.skipped.empty() && r.unused.empty()
                                    ? ""
                                    : fmt::format(" ({} skipped, {} unused: strict_load_g false)",
                                                  r.skipped.size(), r.unused.size())));
  };
  pretrain(c.path.pretrain_network_g, c.path.param_key_g, "path.pretrain_network_g");
  pretrain(c.path.pretrain_network_g_ema, "params_ema", "path.pretrain_network_g_ema");
  Warnings ignored;
  const auto losses = make_losses(c.train.losses, ignored);
  lines.push_back(fmt::format("losses: {} built", losses.size()));
  if (c.network_d) {
    auto d = build_discriminator(*c.network_d);
    if (!c.path.pretrain_network_d.empty()) {
      const auto r = load_pretrain(*d.ptr(), c.path.pretrain_network_d, c.path.param_key_d,
                                   c.path.strict_load_d, "network_d");
      lines.push_back(fmt::format("path.pretrain_network_d: {}: {} weights loaded",
                                  c.path.pretrain_network_d, r.loaded.size()));
    }
  }
  return lines;
}

}  // namespace pf::train

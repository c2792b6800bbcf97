#include "train/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/yaml_util.h"
#include "train/losses/loss.h"
#include "train/network.h"
#include "train/optimizer.h"
#include "train/scheduler.h"

namespace fs = std::filesystem;

namespace pf::train {

namespace {

// A --set value is parsed with kSetLine + i * kSetStride blank lines in front of it (i: its
// place on the command line), so its nodes' marks say which --set it came from: messages name
// the argument instead of a line of the file, and its relative paths are read from the working
// directory.
constexpr int kSetLine = 100000, kSetStride = 1000;

int set_index(const YAML::Node& node) {
  if (!node || node.Mark().is_null() || node.Mark().line < kSetLine) return -1;
  return (node.Mark().line - kSetLine) / kSetStride;
}

// Replaces "file:LINE:COL" of --set values in a message with "--set 'ASSIGNMENT'".
std::string name_sets(const std::string& text, const std::string& file,
                      const std::vector<std::string>& sets) {
  const std::string head = file + ":";
  std::string out;
  size_t at = 0;
  const auto digits = [&](size_t from) {
    while (from < text.size() && std::isdigit(static_cast<unsigned char>(text[from]))) ++from;
    return from;
  };
  for (size_t hit; (hit = text.find(head, at)) != std::string::npos;) {
    const size_t l0 = hit + head.size(), l1 = digits(l0);
    const size_t c1 = l1 < text.size() && text[l1] == ':' ? digits(l1 + 1) : l1;
    if (l1 > l0 && c1 > l1 + 1 && l1 - l0 < 10) {
      const long line = std::stol(text.substr(l0, l1 - l0)) - 1;
      const long index = (line - kSetLine) / kSetStride;
      if (line >= kSetLine && index < static_cast<long>(sets.size())) {
        out += text.substr(at, hit - at) + "--set '" + sets[static_cast<size_t>(index)] + "'";
        at = c1;
        continue;
      }
    }
    out += text.substr(at, l0 - at);
    at = l0;
  }
  return out + text.substr(at);
}

void apply_set_at(YAML::Node& root, const std::string& assignment, int index);

// Resolves one path value (see PathRef) and records it.
std::string resolve_path(TrainConfig& c, const std::string& file, const YAML::Node& node,
                         const std::string& key, const std::string& value, bool folder) {
  if (value.empty()) return value;
  PathRef r{key, node ? yaml_where(file, node) : file, value, value, folder};
  const fs::path p(value);
  std::error_code ec;
  if (!p.is_absolute()) {
    const bool from_set = set_index(node) >= 0;
    const fs::path base = from_set ? fs::current_path(ec) : fs::absolute(file, ec).parent_path();
    const fs::path beside = (base / p).lexically_normal();
    r.resolved = beside.string();
    if (!from_set && !fs::exists(beside, ec) && fs::exists(p, ec)) {
      r.resolved = fs::absolute(p, ec).lexically_normal().string();
      c.warnings.push_back(r.where + ": " + key + ": '" + value +
                           "' is not in the config's folder (" + base.string() +
                           "): read from the working directory instead (" + r.resolved + ")");
    }
  }
  c.paths.push_back(r);
  return r.resolved;
}

void resolve_paths(TrainConfig& c, const std::string& file, const YAML::Node& root) {
  const YAML::Node datasets = root["datasets"];
  for (auto* sets : {&c.train_sets, &c.val_sets})
    for (auto& d : *sets) {
      const YAML::Node body = datasets[d.key];
      const std::string k = "datasets." + d.key + ".";
      for (auto [name, list] :
           {std::pair{"dataroot_gt", &d.dataroot_gt}, std::pair{"dataroot_lq", &d.dataroot_lq}}) {
        const YAML::Node n = body[name];
        for (size_t i = 0; i < list->size(); ++i)
          (*list)[i] =
              resolve_path(c, file, n && n.IsSequence() ? n[i] : n, k + name, (*list)[i], true);
      }
      d.meta_info = resolve_path(c, file, body["meta_info"], k + "meta_info", d.meta_info, false);
      d.degradation =
          resolve_path(c, file, body["degradation"], k + "degradation", d.degradation, false);
    }
  const YAML::Node path = root["path"];
  for (auto [name, value] : {std::pair{"pretrain_network_g", &c.path.pretrain_network_g},
                             std::pair{"pretrain_network_g_ema", &c.path.pretrain_network_g_ema},
                             std::pair{"pretrain_network_d", &c.path.pretrain_network_d},
                             std::pair{"resume_state", &c.path.resume_state}})
    *value = resolve_path(c, file, path ? path[name] : YAML::Node(), std::string("path.") + name,
                          *value, false);
}

constexpr const char* kOurs = "pairforge runs its own loader threads and prefetch queue";

// ---- top level --------------------------------------------------------------------------
struct Top {
  std::string name, num_gpu;
  int64_t scale = 1, manual_seed = -1;
  bool use_amp = false, amp_bf16 = false, use_channels_last = true;
  std::string input_pixel_format, output_pixel_format;
};

const OptionTable<Top>& top_table() {
  using P = Top;
  static const OptionTable<P> t = {
      text<P>("name", &P::name, "", "experiment name: the run lives in experiments/<name>/"),
      integer<P>("scale", &P::scale, 4, 1, 8, "upscaling factor of the model"),
      text<P>("num_gpu", &P::num_gpu, "auto",
              "auto (every visible GPU, one worker each, else the CPU), 0 (the CPU) or a GPU "
              "count; several GPUs train data-parallel (see --nproc)"),
      integer<P>("manual_seed", &P::manual_seed, -1, -1, 9.2e18,
                 "seed of every random choice (crops, flips, OTF degradations, initial "
                 "weights); absent: one is drawn and recorded in the run"),
      flag<P>("use_amp", &P::use_amp, false,
              "mixed precision on CUDA (fp16 with loss scaling, or bf16 with amp_bf16); on the "
              "CPU training stays fp32 with one warning"),
      flag<P>("amp_bf16", &P::amp_bf16, false, "with use_amp: bf16 instead of fp16"),
      flag<P>("use_channels_last", &P::use_channels_last, true,
              "channels-last weights and batches (cuDNN/oneDNN run without layout reorders)"),
      choice<P>("input_pixel_format", &P::input_pixel_format, "rgb", {"rgb"},
                "pixel format the network sees")
          .only_default("only RGB networks are trained"),
      choice<P>("output_pixel_format", &P::output_pixel_format, "rgb", {"rgb"},
                "pixel format the network writes")
          .only_default("only RGB networks are trained"),
      any<P>("deterministic", "false", "torch.use_deterministic_algorithms")
          .no_effect("CPU training is deterministic for a given thread count anyway"),
      any<P>("fast_matmul", "false", "TF32 matmuls").no_effect("a PyTorch switch"),
      any<P>("use_compile", "false", "torch.compile").no_effect("a PyTorch feature"),
      any<P>("compile_mode", "max-autotune-no-cudagraphs", "torch.compile mode")
          .no_effect("a PyTorch feature"),
      any<P>("detect_anomaly", "false", "autograd anomaly detection")
          .no_effect("NaN/Inf losses are detected and skipped anyway"),
      any<P>("dist", "~", "set by traiNNer-redux's launcher").no_effect("internal"),
      any<P>("launcher", "~", "distributed launcher").no_effect("internal"),
      any<P>("rank", "~", "distributed rank").no_effect("internal"),
      any<P>("world_size", "~", "distributed world size").no_effect("internal"),
      any<P>("dist_params", "~", "distributed backend and port").no_effect("internal"),
      any<P>("find_unused_parameters", "false", "DDP option")
          .no_effect("every trained parameter is reduced every step"),
      any<P>("auto_resume", "~", "resume the latest state").no_effect("use --resume auto"),
      any<P>("watch", "false", "watch the config for changes").no_effect("not supported"),
      any<P>("start_iter", "0", "internal").no_effect("internal"),
      any<P>("is_train", "~", "internal").no_effect("internal"),
      any<P>("root_path", "~", "internal").no_effect("internal"),
      any<P>("switch_iter_per_epoch", "1", "internal").no_effect("internal"),
      any<P>("contents", "~", "internal").no_effect("internal"),
      any<P>("onnx", "~", "traiNNer-redux's ONNX export options").no_effect("use pairforge export"),
      any<P>("high_order_degradations_debug", "false", "save OTF tiles")
          .no_effect("use pairforge degrade --explain with the same preset"),
      any<P>("high_order_degradations_debug_limit", "100", "OTF tiles saved")
          .no_effect("use pairforge degrade --explain with the same preset"),
  };
  return t;
}

// The sections read by their own parsers; listed so that unknown-key errors name them.
const std::vector<std::string> kSections = {
    "datasets",  "network_g",         "path",      "train", "val", "logger",
    "network_d", "network_g_teacher", "network_ae"};

const OptionTable<HighOrderOptions>& high_order_table() {
  using P = HighOrderOptions;
  static const std::vector<std::string> modes = {"bilinear", "bicubic", "nearest-exact", "lanczos",
                                                 "area"};
  static const OptionTable<P> t = {
      flag<P>("high_order_degradation", &P::enabled, false,
              "on-the-fly degradation (Real-ESRGAN's two stages) with type realesrgandataset"),
      flag<P>("lq_usm", &P::lq_usm, false, "unsharp-mask the LQ before the first stage"),
      integers<P>("lq_usm_radius_range", &P::lq_usm_radius_range, {1, 25}, 1, 100, 2,
                  "unsharp-mask radius range"),
      real<P>("thicklines_prob", &P::thicklines_prob, 0, 0, 0,
              "traiNNer-redux's ThickLines filter (not in the engine: only 0)"),
      real<P>("blur_prob", &P::blur_prob, 0, 0, 1, "first blur probability"),
      reals<P>("resize_prob", &P::resize_prob, {0.2, 0.7, 0.1}, 0, 1, 3,
               "first resize: probabilities of up, down, keep"),
      texts<P>("resize_mode_list", &P::resize_mode_list,
               {"bilinear", "bicubic", "nearest-exact", "lanczos"}, modes, "first resize modes"),
      reals<P>("resize_mode_prob", &P::resize_mode_prob, {0.25, 0.25, 0.25, 0.25}, 0, kInf, 0,
               "weights of resize_mode_list"),
      reals<P>("resize_range", &P::resize_range, {0.4, 1.5}, 0.01, 16, 2,
               "first resize factor range"),
      real<P>("gaussian_noise_prob", &P::gaussian_noise_prob, 0, 0, 1,
              "first noise: Gaussian with this probability, else Poisson"),
      reals<P>("noise_range", &P::noise_range, {0, 0}, 0, 255, 2, "Gaussian sigma range (0..255)"),
      reals<P>("poisson_scale_range", &P::poisson_scale_range, {0, 0}, 0, 100, 2,
               "Poisson scale range"),
      real<P>("gray_noise_prob", &P::gray_noise_prob, 0, 0, 1, "grey (luma) noise probability"),
      real<P>("jpeg_prob", &P::jpeg_prob, 1, 0, 1, "first JPEG probability"),
      reals<P>("jpeg_range", &P::jpeg_range, {75, 95}, 1, 100, 2, "first JPEG quality range"),
      real<P>("blur_prob2", &P::blur_prob2, 0, 0, 1, "second blur probability"),
      reals<P>("resize_prob2", &P::resize_prob2, {0.3, 0.4, 0.3}, 0, 1, 3,
               "second resize: probabilities of up, down, keep"),
      texts<P>("resize_mode_list2", &P::resize_mode_list2,
               {"bilinear", "bicubic", "nearest-exact", "lanczos"}, modes, "second resize modes"),
      reals<P>("resize_mode_prob2", &P::resize_mode_prob2, {0.25, 0.25, 0.25, 0.25}, 0, kInf, 0,
               "weights of resize_mode_list2"),
      reals<P>("resize_range2", &P::resize_range2, {0.6, 1.2}, 0.01, 16, 2,
               "second resize factor range (relative to the LQ size)"),
      real<P>("gaussian_noise_prob2", &P::gaussian_noise_prob2, 0, 0, 1,
              "second noise: Gaussian with this probability, else Poisson"),
      reals<P>("noise_range2", &P::noise_range2, {0, 0}, 0, 255, 2, "second Gaussian sigma range"),
      reals<P>("poisson_scale_range2", &P::poisson_scale_range2, {0, 0}, 0, 100, 2,
               "second Poisson scale range"),
      real<P>("gray_noise_prob2", &P::gray_noise_prob2, 0, 0, 1, "second grey noise probability"),
      real<P>("jpeg_prob2", &P::jpeg_prob2, 1, 0, 1, "second JPEG probability"),
      reals<P>("jpeg_range2", &P::jpeg_range2, {75, 95}, 1, 100, 2, "second JPEG quality range"),
      texts<P>("resize_mode_list3", &P::resize_mode_list3,
               {"bilinear", "bicubic", "nearest-exact", "lanczos"}, modes,
               "final resize (to the LQ size) modes"),
      reals<P>("resize_mode_prob3", &P::resize_mode_prob3, {0.25, 0.25, 0.25, 0.25}, 0, kInf, 0,
               "weights of resize_mode_list3"),
      real<P>("dataroot_lq_prob", &P::dataroot_lq_prob, 0, 0, 1,
              "with dataroot_lq: share of samples taken from the paired LQ instead of OTF"),
      integer<P>("queue_size", &P::queue_size, 120, 0, 1e6,
                 "traiNNer-redux's GPU pool that shuffles degraded samples across batches; "
                 "pairforge degrades every sample independently in the loaders, which needs no "
                 "pool")
          .no_effect("every sample is degraded with its own parameters"),
  };
  return t;
}

// ---- datasets ---------------------------------------------------------------------------
const std::vector<std::string> kDatasetTypes = {"pairedimagedataset", "realesrgandataset",
                                                "otfdataset"};

const OptionTable<DatasetOptions>& dataset_table() {
  using P = DatasetOptions;
  static const std::vector<std::string> kernels = {
      "iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"};
  static const OptionTable<P> t = {
      text<P>("name", &P::name, "", "a label for messages"),
      choice<P>("type", &P::type, "pairedimagedataset", kDatasetTypes,
                "pairedimagedataset (HQ/LQ folders), realesrgandataset (HQ folders degraded on "
                "the fly by the high_order_degradation keys), otfdataset (HQ folders degraded on "
                "the fly by an engine preset, `degradation:`)",
                true),
      texts<P>("dataroot_gt", &P::dataroot_gt, {}, {}, "HQ (GT) folder(s)"),
      texts<P>("dataroot_lq", &P::dataroot_lq, {}, {},
               "LQ folder(s), one per dataroot_gt; files matched by name"),
      text<P>("meta_info", &P::meta_info, "",
              "a text file listing the HQ files to use (first word of each line, relative to "
              "dataroot_gt)"),
      text<P>("filename_tmpl", &P::filename_tmpl, "{}",
              "LQ name from the HQ name: '{}x2' finds img_x2.png for img.png"),
      integer<P>("lq_size", &P::lq_size, 0, 0, 4096,
                 "side of the square LQ crop (the HQ crop is lq_size x scale)"),
      integer<P>("gt_size", &P::gt_size, 0, 0, 32768,
                 "older spelling: HQ crop side (lq_size x scale)"),
      flag<P>("use_hflip", &P::use_hflip, true, "random horizontal flips"),
      flag<P>("use_rot", &P::use_rot, true, "random vertical flips and 90 degree rotations"),
      integer<P>("batch_size_per_gpu", &P::batch_size_per_gpu, 0, 0, 65536, "samples per step"),
      integer<P>("num_worker_per_gpu", &P::num_worker_per_gpu, 0, 0, 1024,
                 "loader threads (0: as many as cores; capped at the cores)"),
      integer<P>("accum_iter", &P::accum_iter, 1, 1, 1024,
                 "batches whose gradients add up to one optimiser step"),
      text<P>("degradation", &P::degradation, "",
              "otfdataset: the engine preset that degrades each HQ crop (configs/degrade/*.yml)"),
      real<P>("weight", &P::weight, 1, 0, kInf,
              "share of this dataset when several train datasets are given (train, train_2...)"),
      integer<P>("cache_mb", &P::cache_mb, 1024, 0, 1 << 20,
                 "memory for decoded images kept between samples (0: decode every time)"),
      choice<P>("small_images", &P::small_images, "skip", {"skip", "upscale"},
                "images smaller than the crop: skip (left out, counted and named at --check and "
                "at start) or upscale (otfdataset/realesrgandataset: the HQ is upscaled, bicubic, "
                "until a crop fits; never padded)"),
      integer<P>("blur_kernel_size", &P::blur_kernel_size, 12, 1, 64,
                 "realesrgandataset: unused by Real-ESRGAN's code as well (kernel_range rules)")
          .no_effect("kernel_range sets the size"),
      texts<P>(
          "kernel_list", &P::kernel_list,
          {"iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"},
          kernels, "realesrgandataset: first blur kernels"),
      reals<P>("kernel_prob", &P::kernel_prob, {0.45, 0.25, 0.12, 0.03, 0.12, 0.03}, 0, kInf, 0,
               "weights of kernel_list"),
      integers<P>("kernel_range", &P::kernel_range, {5, 17}, 3, 21, 2,
                  "first blur kernel sizes (odd, inclusive)"),
      real<P>("sinc_prob", &P::sinc_prob, 0, 0, 1, "first blur: sinc kernel probability"),
      reals<P>("blur_sigma", &P::blur_sigma, {0.2, 2}, 0.01, 100, 2, "first blur sigma range"),
      reals<P>("betag_range", &P::betag_range, {0.5, 4}, 0.01, 100, 2,
               "generalized Gaussian beta range"),
      reals<P>("betap_range", &P::betap_range, {1, 2}, 0.01, 100, 2, "plateau beta range"),
      integer<P>("blur_kernel_size2", &P::blur_kernel_size2, 12, 1, 64, "unused")
          .no_effect("kernel_range2 sets the size"),
      texts<P>(
          "kernel_list2", &P::kernel_list2,
          {"iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"},
          kernels, "second blur kernels"),
      reals<P>("kernel_prob2", &P::kernel_prob2, {0.45, 0.25, 0.12, 0.03, 0.12, 0.03}, 0, kInf, 0,
               "weights of kernel_list2"),
      integers<P>("kernel_range2", &P::kernel_range2, {5, 17}, 3, 21, 2,
                  "second blur kernel sizes"),
      real<P>("sinc_prob2", &P::sinc_prob2, 0, 0, 1, "second blur: sinc kernel probability"),
      reals<P>("blur_sigma2", &P::blur_sigma2, {0.2, 1}, 0.01, 100, 2, "second blur sigma range"),
      reals<P>("betag_range2", &P::betag_range2, {0.5, 4}, 0.01, 100, 2, "second generalized beta"),
      reals<P>("betap_range2", &P::betap_range2, {1, 2}, 0.01, 100, 2, "second plateau beta"),
      real<P>("final_sinc_prob", &P::final_sinc_prob, 0, 0, 1, "final sinc filter probability"),
      integers<P>("final_kernel_range", &P::final_kernel_range, {5, 17}, 3, 21, 2,
                  "final sinc kernel sizes"),
      any<P>("io_backend", "{type: disk}", "where files come from").no_effect("always the disk"),
      any<P>("phase", "~", "set by traiNNer-redux").no_effect("internal"),
      any<P>("scale", "~", "set by traiNNer-redux from the top-level scale").no_effect("internal"),
      any<P>("dataset_enlarge_ratio", "auto", "repeat small datasets per epoch")
          .no_effect("sampling is per iteration, without epochs"),
      any<P>("prefetch_mode", "~", "PyTorch prefetching").no_effect(kOurs),
      any<P>("pin_memory", "true", "PyTorch pinned batches").no_effect(kOurs),
      any<P>("persistent_workers", "true", "PyTorch loader workers").no_effect(kOurs),
      any<P>("num_prefetch_queue", "1", "PyTorch prefetch queue").no_effect(kOurs),
      any<P>("prefetch_factor", "2", "PyTorch prefetch factor").no_effect(kOurs),
      absent<P>("color", "y: train on luma only", "only RGB data is trained"),
      absent<P>("mean", "normalisation mean", "networks see [0, 1] RGB"),
      absent<P>("std", "normalisation deviation", "networks see [0, 1] RGB"),
      absent<P>("clip_size", "frames per clip (video datasets)", "no video networks"),
      absent<P>("lq_resize_mode", "GT-only datasets resized on the GPU",
                "use type otfdataset with a resize-only degradation preset"),
  };
  return t;
}

// ---- path, train, val, logger -----------------------------------------------------------
const OptionTable<PathOptions>& path_table() {
  using P = PathOptions;
  static const OptionTable<P> t = {
      text<P>("pretrain_network_g", &P::pretrain_network_g, "",
              "weights to start from: pairforge's files or any community .pth/.safetensors of "
              "the same arch (OpenModelDB, traiNNer-redux, neosr)"),
      text<P>("pretrain_network_g_ema", &P::pretrain_network_g_ema, "",
              "weights to start the EMA copy from (default: the generator's)"),
      text<P>("param_key_g", &P::param_key_g, "",
              "the key of a .pth holding the weights (params, params_ema, ...; ~: the first of "
              "params_ema, params, state_dict, model, net)"),
      flag<P>("strict_load_g", &P::strict_load_g, true,
              "every weight must be in the pretrain with its shape; false loads what fits and "
              "names what was skipped"),
      text<P>("resume_state", &P::resume_state, "",
              "a training state to continue (training_states/N.state); see also --resume"),
      any<P>("experiments_root", "~", "set by traiNNer-redux").no_effect("experiments/<name>"),
      any<P>("models", "~", "set by traiNNer-redux").no_effect("experiments/<name>/models"),
      any<P>("resume_models", "~", "set by traiNNer-redux").no_effect("internal"),
      any<P>("training_states", "~", "set by traiNNer-redux")
          .no_effect("experiments/<name>/training_states"),
      any<P>("log", "~", "set by traiNNer-redux").no_effect("experiments/<name>"),
      any<P>("visualization", "~", "set by traiNNer-redux")
          .no_effect("experiments/<name>/visualization"),
      any<P>("results_root", "~", "test results").no_effect("internal"),
      any<P>("pretrain_network_g_path", "~", "internal").no_effect("internal"),
      any<P>("ignore_resume_networks", "~", "networks not restored on resume")
          .no_effect("a state restores the generator and its EMA"),
      text<P>("pretrain_network_d", &P::pretrain_network_d, "",
              "discriminator weights to start from (traiNNer-redux's or Real-ESRGAN's net_d "
              "files of the same network_d)"),
      text<P>("param_key_d", &P::param_key_d, "params",
              "the key of a .pth holding the discriminator's weights"),
      flag<P>("strict_load_d", &P::strict_load_d, true,
              "every discriminator weight must be in pretrain_network_d with its shape"),
      absent<P>("pretrain_network_g_teacher", "teacher network", "no distillation"),
      absent<P>("pretrain_network_ae", "autoencoder", "no autoencoder training"),
      absent<P>("pretrain_network_ae_ema", "autoencoder EMA", "no autoencoder training"),
      absent<P>("pretrain_network_ae_path", "autoencoder", "no autoencoder training"),
      absent<P>("pretrain_network_ae_decoder", "autoencoder decoder", "no autoencoder training"),
      absent<P>("pretrain_network_ae_decoder_ema", "autoencoder decoder",
                "no autoencoder training"),
  };
  return t;
}

struct TrainSection {
  TrainOptions o;
  YAML::Node optim_g, scheduler, losses;
  std::vector<YAML::Node> old_losses;  // pixel_opt & co.
};

const char* const kOldLossKeys[] = {
    "pixel_opt", "mssim_opt",        "ms_ssim_l1_opt", "perceptual_opt", "contextual_opt",
    "dists_opt", "hr_inversion_opt", "dinov2_opt",     "topiq_opt",      "pd_opt",
    "fd_opt",    "ldl_opt",          "hsluv_opt",      "gan_opt",        "color_opt",
    "luma_opt",  "avg_opt",          "bicubic_opt"};

const OptionTable<TrainOptions>& train_table() {
  using P = TrainOptions;
  static const OptionTable<P> t = {
      integer<P>("total_iter", &P::total_iter, 0, 1, 1e12, "iterations (optimiser steps) to train"),
      real<P>("ema_decay", &P::ema_decay, 0, 0, 1,
              "decay of the exponential moving average of the weights (0: no EMA); the EMA is "
              "what models/net_g_ema_N holds and what validation runs"),
      real<P>("ema_power", &P::ema_power, 10, 0, kInf,
              "EMA warm-up: decay at step k is min(ema_decay, 1 - (1 + k)^-ema_power) (10 ~ none)"),
      integer<P>("ema_update_after_step", &P::ema_update_after_step, 0, 0, 1e12,
                 "the EMA copies the weights until this step"),
      fixed<P>("ema_switch_iter", "0", "copy the EMA into the generator every N iterations",
               "not supported"),
      flag<P>("grad_clip", &P::grad_clip, false, "clip the gradients' global L2 norm"),
      real<P>("grad_clip_max_norm", &P::grad_clip_max_norm, 100, 0, kInf, "the norm clipped to"),
      integer<P>("warmup_iter", &P::warmup_iter, -1, -1, 1e12,
                 "linear learning-rate warm-up over this many iterations (-1: none)"),
      flag<P>("restart_scheduler", &P::restart_scheduler, false,
              "on resume, follow the config's schedule from the resumed iteration (pairforge's "
              "schedules are closed forms of the iteration, so this is always the case)"),
      any<P>("optim_g", "~", "the optimiser (its own table below)"),
      any<P>("scheduler", "~", "the learning-rate schedule (its own table below)"),
      any<P>("losses", "~", "list of losses: type, loss_weight and the loss's options"),
      any<P>("optim_d", "~",
             "the discriminator's optimiser, needed by a ganloss (the table of optim_g); it "
             "follows the same scheduler and warm-up"),
      absent<P>("optim_ae", "autoencoder optimiser", "no autoencoder training"),
      flag<P>("adaptive_d", &P::adaptive_d, false,
              "skip the discriminator's update while the EMA of the generator's GAN loss rises "
              "by more than adaptive_d_threshold per iteration (traiNNer-redux)"),
      real<P>("adaptive_d_ema_decay", &P::adaptive_d_ema_decay, 0.999, 0, 1,
              "adaptive_d: decay of the GAN loss's moving average"),
      real<P>("adaptive_d_threshold", &P::adaptive_d_threshold, 1.02, 0, kInf,
              "adaptive_d: the factor of rise that skips an update"),
      fixed<P>("use_moa", "false", "mixture of augmentations", "not supported"),
      any<P>("moa_augs", "[none, mixup, cutmix, resizemix]", "MoA").no_effect("use_moa is off"),
      any<P>("moa_probs", "[0.4, 0.084, 0.084, 0.084, 0.348]", "MoA").no_effect("use_moa is off"),
      any<P>("moa_debug", "false", "MoA").no_effect("use_moa is off"),
      any<P>("moa_debug_limit", "100", "MoA").no_effect("use_moa is off"),
      fixed<P>("eco", "{enabled: false}", "ECO training", "not supported"),
  };
  return t;
}

const OptionTable<ValOptions>& val_table() {
  using P = ValOptions;
  static const OptionTable<P> t = {
      flag<P>("val_enabled", &P::val_enabled, false, "validate on datasets.val every val_freq"),
      flag<P>("save_img", &P::save_img, false,
              "write the outputs to visualization/<image>/<image>_<iter>.png"),
      integer<P>("tile_size", &P::tile_size, 0, 0, 1 << 20,
                 "validation tile size in LQ pixels (0: whole images)"),
      integer<P>("tile_overlap", &P::tile_overlap, 0, 0, 4096, "context pixels around tiles"),
      integer<P>("val_freq", &P::val_freq, 0, 0, 1e12, "validate every N iterations"),
      text<P>("suffix", &P::suffix, "", "appended to saved image names"),
      flag<P>("metrics_enabled", &P::metrics_enabled, false, "compute the metrics below"),
      any<P>("metrics", "~",
             "name: {type: calculate_psnr|calculate_ssim, crop_border, "
             "test_y_channel}"),
      any<P>("pbar", "true", "progress bar during validation").no_effect("log lines only"),
  };
  return t;
}

const OptionTable<MetricOptions>& metric_table() {
  using P = MetricOptions;
  static const OptionTable<P> t = {
      choice<P>("type", &P::type, "calculate_psnr", {"calculate_psnr", "calculate_ssim"},
                "PSNR or SSIM on 8-bit values, as basicsr computes them"),
      integer<P>("crop_border", &P::crop_border, 0, 0, 4096, "border pixels left out"),
      flag<P>("test_y_channel", &P::test_y_channel, false, "on BT.601 luma instead of RGB"),
      any<P>("better", "higher", "which direction is better").no_effect("PSNR/SSIM: higher"),
  };
  return t;
}

const OptionTable<LoggerOptions>& logger_table() {
  using P = LoggerOptions;
  static const OptionTable<P> t = {
      integer<P>("print_freq", &P::print_freq, 100, 1, 1e12,
                 "a log line (and a train_log.jsonl record) every N iterations"),
      integer<P>("save_checkpoint_freq", &P::save_checkpoint_freq, 1000, 1, 1e12,
                 "models/ and training_states/ every N iterations"),
      choice<P>("save_checkpoint_format", &P::save_checkpoint_format, "safetensors",
                {"safetensors", "pth"}, "format of models/net_g_N"),
      any<P>("use_tb_logger", "true", "TensorBoard")
          .no_effect("train_log.jsonl, `pairforge plot` and `pairforge report` instead"),
      any<P>("wandb", "~", "Weights & Biases").no_effect("not supported"),
  };
  return t;
}

// Splits a mapping by which table declares each key (the top level mixes general keys with the
// high_order_degradation ones); keys nobody declares stay in `rest`.
YAML::Node pick_keys(const YAML::Node& map, const std::vector<OptionSpec>& specs) {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& kv : map)
    for (const auto& s : specs)
      if (s.name == kv.first.Scalar()) out[kv.first] = kv.second;
  return out;
}

void read_metrics(ValOptions& v, const YAML::Node& node, const std::string& file,
                  Warnings& warnings) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) yaml_fail(file, node, "val.metrics must be a mapping of name: {type: ...}");
  for (const auto& kv : node) {
    const YAML::Node& body = kv.second;
    if (body.IsMap() && body["type"] && body["type"].IsScalar()) {
      // Learned metrics need networks trained on human judgements (TOPIQ's ResNet-50 and
      // attention heads, LPIPS's and DISTS's calibrated layers) whose weights pairforge does
      // not have. traiNNer-redux's GAN templates list topiq with validation off: skipped then.
      const std::string type = body["type"].Scalar();
      if (type == "calculate_topiq" || type == "calculate_lpips" || type == "calculate_dists") {
        const std::string why = type +
                                " needs pretrained network weights that pairforge does not "
                                "have; supported: calculate_psnr, calculate_ssim";
        if (v.val_enabled && v.metrics_enabled) yaml_fail(file, body["type"], why);
        warnings.push_back(yaml_where(file, body["type"]) + ": val.metrics." + kv.first.Scalar() +
                           " is skipped (" + why + ")");
        continue;
      }
    }
    MetricOptions m;
    read_options(metric_table(), m, body, file, "val.metrics." + kv.first.Scalar(), warnings);
    m.label = kv.first.Scalar();
    v.metrics.push_back(m);
  }
}

DatasetOptions read_dataset(const std::string& key, const YAML::Node& key_node,
                            const YAML::Node& body, const std::string& file, Warnings& warnings) {
  DatasetOptions d;
  read_options(dataset_table(), d, body, file, "datasets." + key, warnings);
  d.key = key;
  d.where = yaml_where(file, key_node);
  if (body["io_backend"] && body["io_backend"].IsMap() && body["io_backend"]["type"] &&
      body["io_backend"]["type"].Scalar() != "disk")
    yaml_fail(file, body["io_backend"]["type"],
              "io_backend type '" + body["io_backend"]["type"].Scalar() +
                  "' is not supported; pairforge reads image folders (type: disk)");
  if (d.dataroot_gt.empty()) yaml_fail(file, key_node, "datasets." + key + " needs dataroot_gt");
  if (d.type == "pairedimagedataset" && d.dataroot_lq.size() != d.dataroot_gt.size())
    yaml_fail(file, body["dataroot_lq"] ? body["dataroot_lq"] : key_node,
              "datasets." + key + ": pairedimagedataset needs one dataroot_lq per dataroot_gt (" +
                  std::to_string(d.dataroot_gt.size()) + ")");
  if (d.type == "otfdataset" && d.degradation.empty())
    yaml_fail(file, key_node,
              "datasets." + key +
                  ": otfdataset needs `degradation:` (an engine preset such as "
                  "configs/degrade/realesrgan.yml)");
  if (d.type == "pairedimagedataset" && d.small_images == "upscale")
    yaml_fail(file, body["small_images"],
              "datasets." + key +
                  ": small_images: upscale is for HQ-only datasets (otfdataset, "
                  "realesrgandataset); an upscaled LQ/HQ pair is no longer a real pair");
  if (d.type != "otfdataset" && !d.degradation.empty())
    yaml_fail(file, body["degradation"], "`degradation:` belongs to type otfdataset");
  const auto check_weights = [&](const char* list, const char* probs, size_t a, size_t b) {
    if (a != b)
      yaml_fail(file, body[probs] ? body[probs] : key_node,
                std::string(probs) + " needs one weight per item of " + list + " (" +
                    std::to_string(a) + ")");
  };
  check_weights("kernel_list", "kernel_prob", d.kernel_list.size(), d.kernel_prob.size());
  check_weights("kernel_list2", "kernel_prob2", d.kernel_list2.size(), d.kernel_prob2.size());
  for (const auto& [name, range] :
       {std::pair{"kernel_range", &d.kernel_range}, std::pair{"kernel_range2", &d.kernel_range2},
        std::pair{"final_kernel_range", &d.final_kernel_range}})
    if ((*range)[0] % 2 == 0 || (*range)[1] % 2 == 0 || (*range)[0] > (*range)[1])
      yaml_fail(file, body[name] ? body[name] : key_node,
                std::string(name) + " must be two odd sizes, low first");
  return d;
}

// GAN training as traiNNer-redux sets it up: a ganloss with a non-zero weight builds
// network_d and needs optim_d; without one, both are left unused (with a warning each).
void read_gan(TrainConfig& c, const YAML::Node& root, const YAML::Node& train,
              const std::string& file) {
  const LossConfig* gan = nullptr;
  for (const auto& l : c.train.losses) {
    if (l.type == "ganloss") gan = &l;
    if (l.type == "ldlloss" && c.train.ema_decay <= 0)
      yaml_fail(file, l.node["type"],
                "ldlloss compares with the EMA generator's output: it needs train.ema_decay > 0");
  }
  const YAML::Node net_d = root["network_d"], optim_d = train["optim_d"];
  const bool has_d = net_d && !net_d.IsNull(), has_optim = optim_d && !optim_d.IsNull();
  if (!gan) {
    if (has_d)
      c.warnings.push_back(yaml_where(file, net_d) +
                           ": network_d has no effect without a ganloss of non-zero loss_weight");
    if (has_optim)
      c.warnings.push_back(yaml_where(file, optim_d) +
                           ": train.optim_d has no effect without a ganloss of non-zero "
                           "loss_weight");
    if (!c.path.pretrain_network_d.empty())
      c.warnings.push_back(file + ": path.pretrain_network_d has no effect without a ganloss");
    return;
  }
  if (!has_d)
    yaml_fail(file, gan->node["type"],
              "ganloss needs a discriminator: add network_d (type: dunet or "
              "unetdiscriminatorsn), or set its loss_weight to 0");
  if (!has_optim)
    yaml_fail(file, gan->node["type"],
              "ganloss needs the discriminator's optimiser: add train.optim_d (e.g. {type: "
              "AdamW, lr: 1e-4, betas: [0.9, 0.99]})");
  c.network_d = read_network_d(net_d, file, c.warnings);
  c.train.optim_d = read_optimizer(optim_d, file, c.warnings, "train.optim_d");
  for (const auto& d : c.train_sets)
    if (d.gt_size % 8 != 0)
      yaml_fail(file, root["datasets"][d.key],
                "datasets." + d.key + ": network_d " + c.network_d->type +
                    " needs HQ crops whose side (lq_size x scale = " + std::to_string(d.gt_size) +
                    ") is a multiple of 8");
}

}  // namespace

void apply_set(YAML::Node& root, const std::string& assignment) {
  apply_set_at(root, assignment, -1);
}

namespace {

void apply_set_at(YAML::Node& root, const std::string& assignment, int index) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set '" + assignment + "': expected key.path=value");
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    const std::string pad =
        index < 0 ? "" : std::string(static_cast<size_t>(kSetLine + index * kSetStride), '\n');
    value = YAML::Load(pad + assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set '" + assignment + "': the value is not YAML (" + e.msg + ")");
  }
  std::vector<std::string> keys;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = std::min(path.find('.', start), path.size());
    keys.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  YAML::Node node;
  node.reset(root);
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    if (keys[i].empty()) throw ConfigError("--set '" + assignment + "': empty key in the path");
    // YAML::Node's operator= writes through to the node it refers to; reset() rebinds.
    YAML::Node next;
    next.reset(node[keys[i]]);
    if (!next.IsDefined() || next.IsNull()) {
      node[keys[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(node[keys[i]]);
    }
    if (next.IsSequence()) {
      // a list index: losses.0.loss_weight
      char* end = nullptr;
      const long idx = std::strtol(keys[i + 1].c_str(), &end, 10);
      if (*end == '\0' && idx >= 0 && static_cast<size_t>(idx) < next.size()) {
        if (i + 2 == keys.size()) {
          next[static_cast<size_t>(idx)] = value;
          return;
        }
        node.reset(next[static_cast<size_t>(idx)]);
        ++i;
        continue;
      }
    }
    if (!next.IsMap())
      throw ConfigError("--set '" + assignment + "': '" + keys[i] + "' is not a mapping");
    node.reset(next);
  }
  node[keys.back()] = value;
}

}  // namespace

TrainConfig TrainConfig::load(const std::string& path, const std::vector<std::string>& sets) {
  YamlDoc doc = load_yaml_file(path);
  if (!doc.root.IsMap()) throw ConfigError(path + ": a training config is a YAML mapping");
  if (sets.size() > 1000) throw ConfigError("more than 1000 --set arguments");
  for (size_t i = 0; i < sets.size(); ++i) apply_set_at(doc.root, sets[i], static_cast<int>(i));
  try {
    TrainConfig c = parse(doc);
    for (auto& w : c.warnings) w = name_sets(w, doc.file, sets);
    for (auto& p : c.paths) p.where = name_sets(p.where, doc.file, sets);
    return c;
  } catch (const ConfigError& e) {
    throw ConfigError(name_sets(e.what(), doc.file, sets));
  }
}

void TrainConfig::check_inputs() const {
  for (const auto& p : paths) {
    std::error_code ec;
    const auto st = fs::status(p.resolved, ec);
    const std::string what = p.where + ": " + p.key + ": ";
    const std::string read_from = fs::path(p.written).is_absolute()
                                      ? ""
                                      : " (relative paths are read from the config's folder)";
    if (!fs::exists(st))
      throw InputError(what + (p.folder ? "folder '" : "file '") + p.resolved + "' does not exist" +
                       read_from);
    if (p.folder && !fs::is_directory(st))
      throw InputError(what + "'" + p.resolved + "' is not a folder");
    if (!p.folder && !fs::is_regular_file(st)) {
      const char* kind = fs::is_directory(st)        ? "a folder"
                         : fs::is_fifo(st)           ? "a FIFO"
                         : fs::is_character_file(st) ? "a character device"
                         : fs::is_block_file(st)     ? "a block device"
                         : fs::is_socket(st)         ? "a socket"
                                                     : "not a file";
      throw InputError(what + "'" + p.resolved + "' is " + kind + ", not a regular file");
    }
  }
}

TrainConfig TrainConfig::parse(const YamlDoc& doc) {
  const std::string& file = doc.file;
  const YAML::Node& root = doc.root;
  if (!root.IsMap()) throw ConfigError(file + ": a training config is a YAML mapping");
  TrainConfig c;
  c.file = file;

  // Top level: general keys, high_order_degradation keys and the sections.
  std::vector<OptionSpec> known = specs_of(top_table());
  const auto ho = specs_of(high_order_table());
  known.insert(known.end(), ho.begin(), ho.end());
  for (const auto& s : kSections) known.push_back(OptionSpec{s});
  for (const auto& kv : root) {
    bool ok = false;
    for (const auto& s : known) ok = ok || s.name == kv.first.Scalar();
    if (!ok) fail_unknown_key(file, kv.first, "the top level", known);
  }
  Top top;
  read_options(top_table(), top, pick_keys(root, specs_of(top_table())), file, "config",
               c.warnings);
  read_options(high_order_table(), c.otf, pick_keys(root, ho), file, "config", c.warnings);
  if (top.name.empty()) yaml_fail(file, root, "the config needs `name:` (the experiment's name)");
  if (top.name.find('/') != std::string::npos || top.name == "." || top.name == "..")
    yaml_fail(file, root["name"], "name '" + top.name + "' must be a plain folder name");
  c.name = top.name;
  c.scale = top.scale;
  c.manual_seed = top.manual_seed;
  c.use_amp = top.use_amp;
  c.amp_bf16 = top.amp_bf16;
  c.use_channels_last = top.use_channels_last;
  c.num_gpu = top.num_gpu;
  if (c.num_gpu != "auto") {
    char* end = nullptr;
    const long n = std::strtol(c.num_gpu.c_str(), &end, 10);
    if (*end != '\0' || n < 0) yaml_fail(file, root["num_gpu"], "num_gpu must be auto or a count");
  }
  for (const char* s : {"network_g_teacher", "network_ae"})
    if (root[s] && !root[s].IsNull())
      yaml_fail(
          file, root[s],
          std::string(s) + " is not supported by pairforge (no distillation or autoencoders)");

  // datasets
  const YAML::Node datasets = root["datasets"];
  if (!datasets || !datasets.IsMap())
    yaml_fail(file, root, "the config needs a `datasets:` mapping");
  for (const auto& kv : datasets) {
    const std::string key = kv.first.Scalar();
    const std::string phase = key.substr(0, key.find('_'));
    if (phase != "train" && phase != "val")
      yaml_fail(file, kv.first,
                "datasets." + key + ": dataset keys start with train or val (train, val, val_2)");
    DatasetOptions d = read_dataset(key, kv.first, kv.second, file, c.warnings);
    (phase == "train" ? c.train_sets : c.val_sets).push_back(std::move(d));
  }
  if (c.train_sets.empty()) yaml_fail(file, datasets, "datasets needs a `train:` entry");
  for (auto& d : c.train_sets) {
    const YAML::Node body = datasets[d.key];
    if (d.lq_size == 0 && d.gt_size > 0) {
      if (d.gt_size % c.scale != 0)
        yaml_fail(file, body["gt_size"], "gt_size must be a multiple of the scale");
      d.lq_size = d.gt_size / c.scale;
    }
    if (d.lq_size == 0)
      yaml_fail(file, body, "datasets." + d.key + " needs lq_size (the LQ crop side)");
    if (d.gt_size > 0 && d.gt_size != d.lq_size * c.scale)
      yaml_fail(file, body["gt_size"], "gt_size must be lq_size x scale");
    d.gt_size = d.lq_size * c.scale;
    if (d.batch_size_per_gpu < 1)
      yaml_fail(file, body, "datasets." + d.key + " needs batch_size_per_gpu");
    if (d.type == "realesrgandataset" && !c.otf.enabled)
      yaml_fail(file, body["type"],
                "realesrgandataset degrades on the fly: set high_order_degradation: true");
  }
  // Batches of every train dataset are cut the same way: the first one decides.
  for (const auto& d : c.train_sets)
    if (d.batch_size_per_gpu != c.train_sets[0].batch_size_per_gpu ||
        d.lq_size != c.train_sets[0].lq_size || d.accum_iter != c.train_sets[0].accum_iter)
      yaml_fail(file, datasets[d.key],
                "datasets." + d.key +
                    ": every train dataset needs the same lq_size, "
                    "batch_size_per_gpu and accum_iter (" +
                    c.train_sets[0].key + " has " + std::to_string(c.train_sets[0].lq_size) + ", " +
                    std::to_string(c.train_sets[0].batch_size_per_gpu) + ", " +
                    std::to_string(c.train_sets[0].accum_iter) + ")");
  for (const auto& d : c.val_sets)
    if (d.type != "pairedimagedataset")
      yaml_fail(file, datasets[d.key]["type"],
                "datasets." + d.key + ": validation reads HQ/LQ pairs (pairedimagedataset)");

  // network_g
  if (!root["network_g"] || !root["network_g"].IsMap())
    yaml_fail(file, root, "the config needs `network_g:` with the arch's type");
  c.network_g = read_network(root["network_g"], file, c.scale, c.warnings);

  read_options(path_table(), c.path, root["path"], file, "path", c.warnings);
  resolve_paths(c, file, root);

  // train
  const YAML::Node train = root["train"];
  if (!train || !train.IsMap()) yaml_fail(file, root, "the config needs a `train:` mapping");
  read_options(train_table(), c.train, train, file, "train", c.warnings);
  if (!train["total_iter"]) yaml_fail(file, train, "train needs total_iter");
  c.train.optim_g = read_optimizer(train["optim_g"], file, c.warnings);
  c.train.scheduler = read_scheduler(train["scheduler"], file, c.warnings);
  std::vector<YAML::Node> loss_nodes;
  if (train["losses"] && !train["losses"].IsNull()) {
    if (!train["losses"].IsSequence())
      yaml_fail(file, train["losses"], "train.losses must be a list of {type, loss_weight, ...}");
    for (const auto& l : train["losses"]) loss_nodes.push_back(l);
  }
  for (const char* old : kOldLossKeys)
    if (train[old] && train[old].IsMap()) loss_nodes.push_back(train[old]);
  for (size_t i = 0; i < loss_nodes.size(); ++i) {
    YAML::Node l = loss_nodes[i];
    if (l.IsMap() && l["vgg_weights"] && l["vgg_weights"].IsScalar())
      l["vgg_weights"] = resolve_path(c, file, l["vgg_weights"],
                                      "train.losses." + std::to_string(i) + ".vgg_weights",
                                      l["vgg_weights"].Scalar(), false);
  }
  c.train.losses = read_losses(loss_nodes, file, c.warnings);
  if (c.train.losses.empty())
    yaml_fail(file, train, "train has no loss with a non-zero loss_weight: nothing to optimise");
  read_gan(c, root, train, file);

  // val
  const YAML::Node val = root["val"];
  read_options(val_table(), c.val, val, file, "val", c.warnings);
  if (val && val.IsMap()) read_metrics(c.val, val["metrics"], file, c.warnings);
  if (c.val.val_enabled) {
    if (c.val_sets.empty())
      yaml_fail(file, val["val_enabled"], "val_enabled needs a datasets.val entry");
    if (c.val.val_freq < 1) yaml_fail(file, val, "val_enabled needs val_freq >= 1");
  }

  const YAML::Node logger = root["logger"];
  read_options(logger_table(), c.logger, logger, file, "logger", c.warnings);

  return c;
}

std::string TrainConfig::resolved_yaml() const {
  std::string y = "# Resolved by pairforge from " + file +
                  ": every key pairforge uses, with its\n"
                  "# effective value (defaults filled in, --set applied).\n";
  Top top{name, num_gpu, scale, manual_seed, use_amp, amp_bf16, use_channels_last, "rgb", "rgb"};
  y += show_options(top_table(), top, 0);
  y += show_options(high_order_table(), otf, 0);
  y += "datasets:\n";
  for (const auto* sets : {&train_sets, &val_sets})
    for (const auto& d : *sets) y += "  " + d.key + ":\n" + show_options(dataset_table(), d, 4);
  y += "network_g:\n" + network_g.yaml;
  if (network_d) y += "network_d:\n" + network_d->yaml;
  y += "path:\n" + show_options(path_table(), path, 2);
  y += "train:\n" + show_options(train_table(), train, 2);
  y += "  optim_g:\n" + train.optim_g.yaml;
  if (train.optim_d) y += "  optim_d:\n" + train.optim_d->yaml;
  y += "  scheduler:\n" + train.scheduler.yaml;
  y += "  losses:\n";
  for (const auto& l : train.losses) {
    YAML::Emitter e;
    e << YAML::Flow << l.node;
    y += "    - " + std::string(e.c_str()) + "\n";
  }
  y += "val:\n" + show_options(val_table(), val, 2);
  if (!val.metrics.empty()) {
    y += "  metrics:\n";
    for (const auto& m : val.metrics)
      y += "    " + m.label + ":\n" + show_options(metric_table(), m, 6);
  }
  y += "logger:\n" + show_options(logger_table(), logger, 2);
  return y;
}

std::string config_reference_markdown() {
  std::string md;
  const auto section = [&](const std::string& title, const std::string& intro,
                           const std::vector<OptionSpec>& specs) {
    md += "### " + title + "\n\n" + (intro.empty() ? "" : intro + "\n\n") +
          options_markdown(specs) + "\n";
  };
  section("Top level", "", specs_of(top_table()));
  section("Top level: on-the-fly degradation (`type: realesrgandataset`)",
          "traiNNer-redux keeps these at the top level; pairforge translates them into an engine "
          "pipeline (see \"realesrgandataset\" above).",
          specs_of(high_order_table()));
  section("`datasets.train`, `datasets.val` (and `train_2`, `val_2`, ...)", "",
          specs_of(dataset_table()));
  section("`path`", "", specs_of(path_table()));
  section("`train`", "", specs_of(train_table()));
  md += optimizer_reference_markdown() + scheduler_reference_markdown();
  section("`val`", "", specs_of(val_table()));
  section("`val.metrics.<name>`", "", specs_of(metric_table()));
  section("`logger`", "", specs_of(logger_table()));
  md += network_reference_markdown();
  md += network_d_reference_markdown();
  md +=
      "### `train.losses`\n\nEvery entry has `type` and `loss_weight`; a weight of 0 disables "
      "the entry (it is not even built), a negative weight compares the output with the "
      "bicubic-upscaled LQ instead of the HQ (traiNNer-redux's convention).\n\n";
  for (const auto& info : loss_registry())
    md += "#### `" + std::string(info.name) + "`\n\n" + options_markdown(info.options) + "\n";
  return md;
}

}  // namespace pf::train

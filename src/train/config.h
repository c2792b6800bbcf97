// The training config: traiNNer-redux's YAML format (its templates run unmodified apart from
// dataset paths), read strictly through option tables (options.h). Sections that depend on a
// `type` (network_g, optim_g, scheduler, each loss) keep their options as YAML and are read by
// the part that owns the type (network.h, optimizer.h, scheduler.h, losses/loss.h).
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "train/losses/loss.h"
#include "train/network.h"
#include "train/network_d.h"
#include "train/optimizer.h"
#include "train/options.h"
#include "train/scheduler.h"

namespace pf::train {

// traiNNer-redux's on-the-fly (OTF) "high_order_degradation" keys: top-level in its configs,
// used with `type: realesrgandataset` (translated into an engine pipeline, realesrgan_otf.h).
struct HighOrderOptions {
  bool enabled = false;  // high_order_degradation
  bool lq_usm = false;
  std::vector<int64_t> lq_usm_radius_range;
  double thicklines_prob = 0;
  double blur_prob = 0, blur_prob2 = 0;
  std::vector<double> resize_prob, resize_prob2;
  std::vector<std::string> resize_mode_list, resize_mode_list2, resize_mode_list3;
  std::vector<double> resize_mode_prob, resize_mode_prob2, resize_mode_prob3;
  std::vector<double> resize_range, resize_range2;
  double gaussian_noise_prob = 0, gaussian_noise_prob2 = 0;
  std::vector<double> noise_range, noise_range2;
  std::vector<double> poisson_scale_range, poisson_scale_range2;
  double gray_noise_prob = 0, gray_noise_prob2 = 0;
  double jpeg_prob = 1, jpeg_prob2 = 1;
  std::vector<double> jpeg_range, jpeg_range2;
  double dataroot_lq_prob = 0;
  int64_t queue_size = 0;
};

struct DatasetOptions {
  std::string key;    // "train", "val", "val_2", ... as written under `datasets:`
  std::string where;  // file:line:col of that key, for messages
  std::string name;
  std::string type;
  std::vector<std::string> dataroot_gt, dataroot_lq;
  std::string meta_info;
  std::string filename_tmpl;
  int64_t lq_size = 0, gt_size = 0;
  bool use_hflip = true, use_rot = true;
  int64_t batch_size_per_gpu = 0, num_worker_per_gpu = 0, accum_iter = 1;
  // pairforge's own keys
  std::string degradation;            // type otfdataset: an engine preset (configs/degrade/X.yml)
  double weight = 1;                  // share of this train dataset when there are several
  int64_t cache_mb = 0;               // decoded-image cache (0: the default budget)
  std::string small_images = "skip";  // HQ images smaller than the crop: skip | upscale
  // realesrgandataset's blur kernels (basicsr names; "2" = second stage)
  int64_t blur_kernel_size = 0, blur_kernel_size2 = 0;
  std::vector<std::string> kernel_list, kernel_list2;
  std::vector<double> kernel_prob, kernel_prob2;
  std::vector<int64_t> kernel_range, kernel_range2, final_kernel_range;
  double sinc_prob = 0, sinc_prob2 = 0, final_sinc_prob = 0;
  std::vector<double> blur_sigma, blur_sigma2, betag_range, betag_range2, betap_range, betap_range2;
};

struct PathOptions {
  std::string pretrain_network_g;
  std::string pretrain_network_g_ema;
  std::string param_key_g;
  bool strict_load_g = true;
  std::string resume_state;
  std::string pretrain_network_d;
  std::string param_key_d = "params";
  bool strict_load_d = true;
};

struct TrainOptions {
  int64_t total_iter = 0;
  double ema_decay = 0;
  double ema_power = 10;
  int64_t ema_update_after_step = 0;
  bool grad_clip = false;
  double grad_clip_max_norm = 100;
  int64_t warmup_iter = -1;
  bool restart_scheduler = false;
  OptimizerOptions optim_g;
  ScheduleOptions scheduler;
  std::vector<LossConfig> losses;  // loss_weight 0 entries left out
  // GAN training (a ganloss with a non-zero weight): the discriminator's optimiser, and
  // adaptive_d, which skips D updates while the generator's GAN loss rises.
  std::optional<OptimizerOptions> optim_d;
  bool adaptive_d = false;
  double adaptive_d_ema_decay = 0.999, adaptive_d_threshold = 1.02;
};

struct MetricOptions {
  std::string label;  // the key under `metrics:` ("psnr")
  std::string type;   // calculate_psnr | calculate_ssim
  int64_t crop_border = 0;
  bool test_y_channel = false;
};

struct ValOptions {
  bool val_enabled = false;
  bool save_img = false;
  int64_t tile_size = 0, tile_overlap = 0;
  int64_t val_freq = 0;
  std::string suffix;
  bool metrics_enabled = false;
  std::vector<MetricOptions> metrics;
};

struct LoggerOptions {
  int64_t print_freq = 100;
  int64_t save_checkpoint_freq = 1000;
  std::string save_checkpoint_format = "safetensors";
};

// A file or folder a config names, as written and as resolved: relative paths are read from
// the config file's folder (a --set value: from the working directory); a relative path that is
// only found from the working directory is read from there, with a warning.
struct PathRef {
  std::string key;       // "datasets.train.dataroot_gt", "path.pretrain_network_g"
  std::string where;     // file:line:col of the value (or the --set argument)
  std::string written;   // as in the config
  std::string resolved;  // what is read
  bool folder = false;   // a folder is expected (else a regular file)
};

struct TrainConfig {
  std::string file;  // the YAML it came from
  std::string name;
  int64_t scale = 1;
  std::string num_gpu = "auto";  // auto | a count
  int64_t manual_seed = -1;      // -1: none given (a seed is drawn and recorded)
  bool use_amp = false, amp_bf16 = false, use_channels_last = true;
  HighOrderOptions otf;
  std::vector<DatasetOptions> train_sets, val_sets;
  NetworkConfig network_g;
  std::optional<NetworkDConfig> network_d;  // set when a ganloss trains (GAN training)
  PathOptions path;
  TrainOptions train;
  ValOptions val;
  LoggerOptions logger;
  Warnings warnings;           // no-effect keys and the like, logged once by the caller
  std::vector<PathRef> paths;  // every file and folder named, already resolved in the fields

  // Reads and checks a config; `sets` are --set key.path=value overrides applied first.
  // Throws ConfigError (file:line:column) on any problem.
  static TrainConfig load(const std::string& path, const std::vector<std::string>& sets = {});
  static TrainConfig parse(const YamlDoc& doc);

  // Every named file and folder exists and is of its kind (a FIFO or /dev/zero is no file):
  // InputError naming the key, its file:line:col and the path otherwise.
  void check_inputs() const;

  // Every used key with its effective value, as YAML (written to the run folder).
  std::string resolved_yaml() const;
};

// Applies "a.b.c=value" (value parsed as YAML) to a document. Throws ConfigError.
void apply_set(YAML::Node& root, const std::string& assignment);

// The key reference (Markdown) of every section, generated from the tables.
std::string config_reference_markdown();

}  // namespace pf::train

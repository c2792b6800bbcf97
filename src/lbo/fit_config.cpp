#include "lbo/fit_config.h"

#include <fmt/format.h>

#include <cstdlib>

#include "core/error.h"
#include "core/yaml_util.h"
#include "train/losses/loss.h"
#include "train/optimizer.h"
#include "train/options.h"
#include "train/scheduler.h"

namespace pf::lbo {

namespace {

using train::any;
using train::choice;
using train::flag;
using train::integer;
using train::kInf;
using train::OptionTable;
using train::real;
using train::text;

// Where the defaults come from: TencentARC/AnimeSR, options/train_animesr_step2_lbo_1_net.yml
// (the LBO's training: Adam 2e-4, betas 0.9/0.99, MultiStepLR at half the iterations x0.5,
// L1 + MSE with weight 1, 256 px crops, batch 16, flips and rotations).
constexpr const char* kAnimeSr = "AnimeSR's LBO options";
constexpr const char* kDefaultOptim =
    "{type: Adam, lr: !!float 2e-4, betas: [0.9, 0.99], weight_decay: 0}";
constexpr const char* kDefaultLosses =
    "[{type: l1loss, loss_weight: 1.0}, {type: mseloss, loss_weight: 1.0}]";

struct Top {
  std::string name, input, basic_op, output;
  int64_t manual_seed = 0;
};

const OptionTable<Top>& top_table() {
  using P = Top;
  static const OptionTable<P> t = {
      text<P>("name", &P::name, "", "experiments/<name>/ holds the search, frames, run and LBO"),
      text<P>("input", &P::input, "",
              "the real low-quality video (mkv, mp4, ...) or folder of its frames"),
      text<P>("basic_op", &P::basic_op, "",
              "the basic-op SR model (any model pairforge loads, e.g. a Compact from `pairforge "
              "train` on classical degradations)"),
      text<P>("output", &P::output, "",
              "stem of the LBO files written (.safetensors and .pth); ~: "
              "experiments/<name>/<name>"),
      integer<P>("manual_seed", &P::manual_seed, 0, 0, 9.2e18,
                 "seed of the patch subsets, crops, flips and initial weights"),
      any<P>("frames", "~", "which frames are read (section below)"),
      any<P>("search", "~", "the input-rescaling search (section below)"),
      any<P>("network", "~", "the LBO's size (section below)"),
      any<P>("train", "~", "the LBO's training (section below)"),
  };
  return t;
}

const OptionTable<FrameOptions>& frames_table() {
  using P = FrameOptions;
  static const OptionTable<P> t = {
      integer<P>("every", &P::every, 1, 1, 1e6, "keep every N-th frame (or file of a folder)"),
      integer<P>("max_frames", &P::max_frames, 200, 1, 1e6,
                 "at most this many frames (the first ones); memory holds each with its "
                 "pseudo-HR (5 bytes a pixel)"),
      real<P>("start", &P::start_s, 0, 0, kInf, "video: seconds from the start"),
      real<P>("end", &P::end_s, 0, 0, kInf, "video: end in seconds (0: to the end)"),
  };
  return t;
}

struct SearchArgs {
  std::string factor;
  double factor_min = 0.1, factor_max = 1, step = 0.1;
  int64_t patches = 24, patch_size = 48, context = 16, sheet_columns = 4;
  std::string filter;
  double ringing = 1, aliasing = 2, noise = 10, blur = 1, detail = 2;
};

const OptionTable<SearchArgs>& search_table() {
  using P = SearchArgs;
  static const OptionTable<P> t = {
      text<P>("factor", &P::factor, "auto",
              "auto: the best-ranked factor; a number in (0, 1] overrides the search (the sheet "
              "is still written, with that factor marked)"),
      real<P>("factor_min", &P::factor_min, 0.1, 0.01, 1, "smallest factor tried"),
      real<P>("factor_max", &P::factor_max, 1, 0.01, 1, "largest factor tried"),
      real<P>("step", &P::step, 0.1, 0.01, 1, "spacing of the factors tried"),
      integer<P>("patches", &P::patches, 24, 1, 4096, "edge-rich LR patches measured"),
      integer<P>("patch_size", &P::patch_size, 48, 16, 1024, "their side in LR pixels"),
      integer<P>("context", &P::context, 16, 0, 256,
                 "LR pixels around a patch the model also sees (covers its receptive field)"),
      choice<P>("filter", &P::filter, "cv_lanczos4", rescale_filters(),
                "resampler of the rescaling and of the resize to 2x: cv_lanczos4 (AnimeSR's "
                "cv2.INTER_LANCZOS4) or catmull_rom (antialiased)"),
      real<P>("ringing", &P::ringing, 1, 0, kInf, "weight of the ringing score"),
      real<P>("aliasing", &P::aliasing, 2, 0, kInf, "weight of the aliasing score"),
      real<P>("noise", &P::noise, 10, 0, kInf, "weight of the flat-area noise score"),
      real<P>("blur", &P::blur, 1, 0, kInf, "weight of the blur score"),
      real<P>("detail", &P::detail, 2, 0, kInf,
              "weight of the detail-loss score (the LR's structure the upscale lost)"),
      integer<P>("sheet_columns", &P::sheet_columns, 4, 1, 64, "patches shown on the sheet"),
  };
  return t;
}

struct NetworkArgs {
  int64_t num_feat = 64, num_in_ch = 3, num_out_ch = 3, downscale = 2;
};

const OptionTable<NetworkArgs>& network_table() {
  using P = NetworkArgs;
  static const OptionTable<P> t = {
      integer<P>("num_feat", &P::num_feat, 64, 1, 1024, "feature channels (AnimeSR: 64)"),
      integer<P>("num_in_ch", &P::num_in_ch, 3, 3, 3, "input channels")
          .only_default("operators work on RGB"),
      integer<P>("num_out_ch", &P::num_out_ch, 3, 3, 3, "output channels")
          .only_default("operators work on RGB"),
      integer<P>("downscale", &P::downscale, 2, 2, 2, "pixel-unshuffle factor")
          .only_default("pseudo-HR frames are twice the LR size"),
  };
  return t;
}

struct TrainArgs {
  int64_t total_iter = 100000, warmup_iter = -1, gt_size = 256, batch_size = 16, num_worker = 0;
  double ema_decay = 0;
  bool use_hflip = true, use_rot = true;
  int64_t print_freq = 100, save_checkpoint_freq = 5000;
  std::string pretrain;
};

const OptionTable<TrainArgs>& train_table() {
  using P = TrainArgs;
  static const OptionTable<P> t = {
      integer<P>("total_iter", &P::total_iter, 100000, 1, 1e12, "iterations (AnimeSR: 100000)"),
      integer<P>("warmup_iter", &P::warmup_iter, -1, -1, 1e12, "linear learning-rate warm-up"),
      integer<P>("gt_size", &P::gt_size, 256, 8, 4096,
                 "pseudo-HR crop side, even (the LR target crop is half); AnimeSR: 256"),
      integer<P>("batch_size", &P::batch_size, 16, 1, 65536, "crops per step (AnimeSR: 16)"),
      integer<P>("num_worker", &P::num_worker, 0, 0, 1024, "loader threads (0: as many as cores)"),
      real<P>("ema_decay", &P::ema_decay, 0, 0, 1,
              "EMA of the weights (0: none, as AnimeSR); with EMA the LBO written is the EMA"),
      flag<P>("use_hflip", &P::use_hflip, true, "random horizontal flips"),
      flag<P>("use_rot", &P::use_rot, true, "random vertical flips and 90 degree rotations"),
      integer<P>("print_freq", &P::print_freq, 100, 1, 1e12, "a log line every N iterations"),
      integer<P>("save_checkpoint_freq", &P::save_checkpoint_freq, 5000, 1, 1e12,
                 "a checkpoint and training state every N iterations (what --resume uses)"),
      text<P>("pretrain", &P::pretrain, "", "LBO weights to start from (fine-tuning)"),
      any<P>("optim_g", kDefaultOptim, "the optimiser, as in training configs (Adam, AdamW)"),
      any<P>("scheduler", "{type: MultiStepLR, milestones: [total_iter / 2], gamma: 0.5}",
             "the learning-rate schedule, as in training configs"),
      any<P>("losses", kDefaultLosses, "the losses, as in training configs"),
  };
  return t;
}

// The section's node when present, else `fallback` parsed (named as the defaults in errors).
YAML::Node or_default(const YAML::Node& section, const char* key, const std::string& fallback) {
  if (section && section.IsMap() && section[key] && !section[key].IsNull()) return section[key];
  return YAML::Load(fallback);
}

}  // namespace

LboConfig LboConfig::load(const std::string& path, const std::vector<std::string>& sets) {
  YamlDoc doc = load_yaml_file(path);
  if (!doc.root.IsMap()) throw ConfigError(path + ": an LBO config is a YAML mapping");
  for (const auto& s : sets) train::apply_set(doc.root, s);
  return parse(doc);
}

LboConfig LboConfig::parse(const YamlDoc& doc) {
  const std::string& file = doc.file;
  const YAML::Node& root = doc.root;
  if (!root.IsMap()) throw ConfigError(file + ": an LBO config is a YAML mapping");
  LboConfig c;
  c.file = file;
  Top top;
  read_options(top_table(), top, root, file, "config", c.warnings);
  for (const char* key : {"name", "input", "basic_op"})
    if (!root[key] || root[key].IsNull())
      yaml_fail(file, root, std::string("the config needs `") + key + ":`");
  if (top.name.find('/') != std::string::npos || top.name == "." || top.name == "..")
    yaml_fail(file, root["name"], "name '" + top.name + "' must be a plain folder name");
  c.name = top.name;
  c.input = top.input;
  c.basic_op = top.basic_op;
  c.output = top.output;
  c.manual_seed = top.manual_seed;

  read_options(frames_table(), c.frames, root["frames"], file, "frames", c.warnings);

  const YAML::Node search = root["search"];
  SearchArgs s;
  read_options(search_table(), s, search, file, "search", c.warnings);
  if (s.factor != "auto") {
    char* end = nullptr;
    const double f = std::strtod(s.factor.c_str(), &end);
    if (end == s.factor.c_str() || *end != '\0' || !(f > 0 && f <= 1))
      yaml_fail(file, search["factor"],
                "search.factor must be auto or a number in (0, 1], got '" + s.factor + "'");
    c.factor = f;
  }
  if (s.factor_min > s.factor_max)
    yaml_fail(file, search, "search: factor_min is above factor_max");
  c.search.factors = factor_grid(s.factor_min, s.factor_max, s.step);
  c.search.patches = static_cast<int>(s.patches);
  c.search.patch_size = static_cast<int>(s.patch_size);
  c.search.context = static_cast<int>(s.context);
  c.search.filter = s.filter;
  c.search.weights = {s.ringing, s.aliasing, s.noise, s.blur, s.detail};
  c.search.probes.seed = static_cast<uint64_t>(c.manual_seed);
  c.sheet_columns = s.sheet_columns;

  NetworkArgs n;
  read_options(network_table(), n, root["network"], file, "network", c.warnings);

  const YAML::Node tr = root["train"];
  TrainArgs a;
  read_options(train_table(), a, tr, file, "train", c.warnings);
  if (a.gt_size % 2 != 0)
    yaml_fail(file, tr["gt_size"], "train.gt_size must be even (the LR crop is half of it)");
  c.gt_size = a.gt_size;

  // The trainer's config, as a traiNNer-redux config of AnimeSR's SimpleDegradationArch would
  // read (dataroot_gt: the pseudo-HR frames, dataroot_lq: the real frames, as AnimeSR names
  // them); the network's input is the pseudo-HR crop, its target the LR crop.
  train::TrainConfig& t = c.train;
  t.file = file;
  t.name = "train";
  t.scale = 1;
  t.manual_seed = c.manual_seed;
  t.use_channels_last = true;
  train::DatasetOptions d;
  d.key = "train";
  d.where = yaml_where(file, tr ? tr : root);
  d.name = "pseudo-HR / LR frames";
  d.type = "pairedimagedataset";
  d.gt_size = a.gt_size;
  d.lq_size = a.gt_size / 2;
  d.use_hflip = a.use_hflip;
  d.use_rot = a.use_rot;
  d.batch_size_per_gpu = a.batch_size;
  d.num_worker_per_gpu = a.num_worker;
  t.train_sets = {d};

  t.network_g.type = "SimpleDegradationArch";
  t.network_g.spec.arch = "LBO";
  t.network_g.spec.scale = 1;
  t.network_g.spec.in_ch = n.num_in_ch;
  t.network_g.spec.out_ch = n.num_out_ch;
  t.network_g.spec.params = {{"num_feat", std::to_string(n.num_feat)},
                             {"downscale", std::to_string(n.downscale)}};
  t.network_g.yaml = "  type: SimpleDegradationArch\n" + show_options(network_table(), n, 2);

  t.path.pretrain_network_g = a.pretrain;
  t.train.total_iter = a.total_iter;
  t.train.warmup_iter = a.warmup_iter;
  t.train.ema_decay = a.ema_decay;
  const std::string defaults = std::string(file) + " (" + kAnimeSr + ")";
  const bool own_optim = tr && tr.IsMap() && tr["optim_g"] && !tr["optim_g"].IsNull();
  t.train.optim_g = train::read_optimizer(or_default(tr, "optim_g", kDefaultOptim),
                                          own_optim ? file : defaults, c.warnings);
  const std::string default_schedule =
      fmt::format("{{type: MultiStepLR, milestones: [{}], gamma: 0.5}}",
                  std::max<int64_t>(1, a.total_iter / 2));
  const bool own_schedule = tr && tr.IsMap() && tr["scheduler"] && !tr["scheduler"].IsNull();
  t.train.scheduler = train::read_scheduler(or_default(tr, "scheduler", default_schedule),
                                            own_schedule ? file : defaults, c.warnings);
  const YAML::Node losses = or_default(tr, "losses", kDefaultLosses);
  if (!losses.IsSequence())
    yaml_fail(file, losses, "train.losses must be a list of {type, loss_weight, ...}");
  std::vector<YAML::Node> entries(losses.begin(), losses.end());
  const bool own_losses = tr && tr.IsMap() && tr["losses"] && !tr["losses"].IsNull();
  t.train.losses = train::read_losses(entries, own_losses ? file : defaults, c.warnings);
  if (t.train.losses.empty())
    yaml_fail(file, losses, "train.losses has no loss with a non-zero loss_weight");
  t.val.val_enabled = false;
  t.logger.print_freq = a.print_freq;
  t.logger.save_checkpoint_freq = a.save_checkpoint_freq;
  t.logger.save_checkpoint_format = "safetensors";
  return c;
}

std::string lbo_config_reference_markdown() {
  std::string md;
  const auto section = [&](const std::string& title, const std::vector<train::OptionSpec>& specs) {
    md += "### " + title + "\n\n" + train::options_markdown(specs) + "\n";
  };
  section("Top level", specs_of(top_table()));
  section("`frames`", specs_of(frames_table()));
  section("`search`", specs_of(search_table()));
  section("`network` (AnimeSR's SimpleDegradationArch)", specs_of(network_table()));
  section("`train`", specs_of(train_table()));
  return md;
}

}  // namespace pf::lbo

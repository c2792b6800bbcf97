#include "lbo/fit.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "infer/device.h"
#include "infer/upscaler.h"
#include "io/image.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "train/run_state.h"

namespace fs = std::filesystem;

namespace pf::lbo {

namespace {

// Rounded to 8 bits (half up, as PNGs are written): the frames are stored that way, and
// everything downstream (search, pseudo-HR, training) sees what was stored.
cv::Mat quantised(const cv::Mat& rgb) {
  cv::Mat q;
  rgb.convertTo(q, CV_32FC3, 255.0, 0.5);
  cv::max(q, 0.0, q);
  cv::min(q, 255.49, q);
  q.forEach<cv::Vec3f>([](cv::Vec3f& p, const int*) {
    for (int c = 0; c < 3; ++c) p[c] = std::floor(p[c]) / 255.f;
  });
  return q;
}

cv::Mat chw_to_mat(const torch::Tensor& chw) {
  const auto hwc = chw.permute({1, 2, 0}).contiguous().to(torch::kFloat32);
  cv::Mat m(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC3);
  std::memcpy(m.data, hwc.data_ptr<float>(), static_cast<size_t>(hwc.numel()) * sizeof(float));
  return m;
}

torch::Tensor mat_to_chw(const cv::Mat& rgb) {
  cv::Mat c = rgb.isContinuous() ? rgb : rgb.clone();
  return torch::from_blob(c.data, {c.rows, c.cols, 3}, torch::kFloat32)
      .permute({2, 0, 1})
      .contiguous();
}

// What the stored pseudo-HR frames were made from; a resumed run reuses them only when this
// matches, since the LBO learns from them.
nlohmann::json frames_record(const LboConfig& c, double factor,
                             const std::vector<NamedFrame>& frames) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& f : frames) names.push_back(f.name);
  return {{"factor", factor},
          {"filter", c.search.filter},
          {"basic_op", fs::absolute(c.basic_op).lexically_normal().string()},
          {"input", fs::absolute(c.input).lexically_normal().string()},
          {"frames", names}};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void log_ranking(const SearchResult& s, double chosen) {
  for (const auto& c : s.candidates)
    spdlog::info("factor {:.2f}: total {:.3f} ({}) rank {}{}", c.factor, c.score.total,
                 c.score.describe(), c.rank, std::abs(c.factor - chosen) < 1e-9 ? "  <- used" : "");
}

}  // namespace

torch::Tensor to_chw_u8(const cv::Mat& rgb) {
  return mat_to_chw(quantised(rgb)).mul(255).round().to(torch::kUInt8);
}

UpscaleFn load_upscaler(const std::string& path, const std::string& device) {
  models::LoadedModel m = models::load_model(path);
  if (m.spec.arch == "LBO" || m.spec.scale < 2)
    throw ModelError(path + ": the basic-op model must upscale (it is a " + m.spec.arch + " x" +
                     std::to_string(m.spec.scale) + ")");
  if (m.spec.in_ch != 3 || m.spec.out_ch != 3)
    throw ModelError(path + ": the basic-op model must be RGB in and out");
  infer::UpscaleOptions o;
  o.device = device;
  auto up = std::make_shared<infer::Upscaler>(std::move(m), o);
  auto mutex = std::make_shared<std::mutex>();
  return [up, mutex](const cv::Mat& rgb) {
    std::lock_guard<std::mutex> lock(*mutex);  // one forward at a time through the model
    return chw_to_mat(up->upscale(mat_to_chw(rgb)).clamp(0, 1));
  };
}

train::TrainResult train_lbo(train::TrainConfig config, std::vector<LboFrame> frames,
                             const train::TrainerOptions& options) {
  const auto& d = config.train_sets.at(0);
  auto source =
      std::make_shared<LboPairSource>(std::move(frames), d.lq_size, d.use_hflip, d.use_rot);
  train::TrainData data;
  data.describe = source->describe();
  data.train = std::move(source);
  return train::run_training(std::move(config), std::move(data), options);
}

std::pair<std::string, std::string> export_lbo(const std::string& checkpoint,
                                               const std::string& stem,
                                               const models::Metadata& extra) {
  const models::Checkpoint ck = models::read_checkpoint(checkpoint);
  models::Metadata meta = ck.metadata;
  for (const auto& [k, v] : extra) meta[k] = v;
  const std::string st = stem + ".safetensors", pth = stem + ".pth";
  models::write_checkpoint(st, ck.tensors, meta);
  models::PthOptions params;
  params.key = "params";  // torch.load(path)['params'], as AnimeSR's dataset reads an LBO
  models::write_checkpoint(pth, ck.tensors, meta, params);
  return {st, pth};
}

FitResult run_lbo_fit(const LboConfig& c, const FitOptions& o) {
  if (!o.resume.empty() && o.resume != "auto")
    throw Error("lbo fit: --resume takes `auto` (the run folder holds the training states)",
                ExitCode::kUsage);
  infer::set_threads(o.threads);
  FitResult r;
  r.run_dir = (fs::path(o.experiments_root) / c.name).string();
  std::error_code ec;
  if (o.resume.empty() && fs::exists(r.run_dir, ec)) {
    const std::string archived = train::archive_name(r.run_dir);
    fs::rename(r.run_dir, archived, ec);
    if (ec) throw IoError("cannot archive the old run " + r.run_dir + ": " + ec.message());
    spdlog::info("{} existed: moved to {} (use --resume auto to continue a run)", r.run_dir,
                 archived);
  }
  fs::create_directories(r.run_dir, ec);
  if (ec) throw IoError("cannot create " + r.run_dir + ": " + ec.message());
  if (!o.config_text.empty())
    write_file_atomic((fs::path(r.run_dir) / fs::path(c.file).filename()).string(),
                      std::string_view(o.config_text));

  // 1. The real frames, as 8-bit images (what is stored and trained on).
  std::vector<NamedFrame> frames = read_frames(c.input, c.frames);
  std::vector<cv::Mat> lr;
  for (auto& f : frames) {
    f.rgb = quantised(f.rgb);
    lr.push_back(f.rgb);
  }
  r.frames = static_cast<int>(frames.size());
  spdlog::info("{} LR frames from {} ({}x{})", frames.size(), c.input, lr[0].cols, lr[0].rows);

  // 2. The search, its sheet and its scores.
  const UpscaleFn up = load_upscaler(c.basic_op, o.device);
  r.search = search_rescaling(lr, up, c.search);
  r.factor = o.factor > 0 ? o.factor : c.factor > 0 ? c.factor : r.search.best;
  if (r.factor != r.search.best)
    spdlog::info("rescaling factor {:.2f} as asked (the search ranks {:.2f} first)", r.factor,
                 r.search.best);
  log_ranking(r.search, r.factor);
  r.sheet = (fs::path(r.run_dir) / "search.png").string();
  r.search_json = (fs::path(r.run_dir) / "search.json").string();
  io::write_png_atomic(
      r.sheet, contact_sheet(r.search, r.factor, static_cast<int>(c.sheet_columns)), cv::Mat(), 8);
  write_file_atomic(r.search_json, search_json(r.search, r.factor).dump(2) + "\n");
  spdlog::info("rescaling factor {:.2f}; candidates and scores: {}", r.factor, r.sheet);
  if (o.search_only) return r;

  // 3. Pseudo-HR frames, kept on disk so that a resumed run trains on the same ones.
  const fs::path lr_dir = fs::path(r.run_dir) / "frames" / "lr";
  const fs::path hr_dir = fs::path(r.run_dir) / "frames" / "pseudo_hr";
  const std::string record_path = (fs::path(r.run_dir) / "frames" / "frames.json").string();
  const nlohmann::json record = frames_record(c, r.factor, frames);
  const bool reuse = !o.resume.empty() && fs::exists(record_path, ec) &&
                     nlohmann::json::parse(read_text(record_path), nullptr, false) == record;
  std::vector<LboFrame> pairs;
  {
    Progress bar("pseudo-HR", static_cast<int64_t>(frames.size()), o.progress_bar, "frames",
                 "frames");
    for (const auto& f : frames) {
      if (interrupted()) {
        r.interrupted = true;
        spdlog::warn("interrupted while making pseudo-HR frames; rerun with --resume auto");
        return r;
      }
      const std::string lr_png = (lr_dir / (f.name + ".png")).string();
      const std::string hr_png = (hr_dir / (f.name + ".png")).string();
      cv::Mat hr;
      if (reuse && fs::exists(hr_png, ec)) {
        hr = io::read_image(hr_png).rgb;
      } else {
        hr = quantised(pseudo_hr(f.rgb, r.factor, up, c.search.filter));
        io::write_png_atomic(lr_png, f.rgb, cv::Mat(), 8);
        io::write_png_atomic(hr_png, hr, cv::Mat(), 8);
      }
      pairs.push_back({f.name, to_chw_u8(hr), to_chw_u8(f.rgb)});
      bar.advance(1, 1);
    }
    bar.finish();
  }
  write_file_atomic(record_path, record.dump(2) + "\n");
  frames.clear();
  lr.clear();

  // 4. The LBO's training, by the trainer.
  train::TrainConfig t = c.train;
  t.train_sets[0].dataroot_gt = {hr_dir.string()};
  t.train_sets[0].dataroot_lq = {lr_dir.string()};
  train::TrainerOptions to;
  to.experiments_root = r.run_dir;
  to.resume = o.resume;
  to.device = o.device;
  to.threads = o.threads;
  to.loader_threads = o.loader_threads;
  to.progress_bar = o.progress_bar;
  to.config_text = o.config_text;
  to.after_iteration = o.after_iteration;
  r.train = train_lbo(std::move(t), std::move(pairs), to);
  if (r.train.interrupted) {
    r.interrupted = true;
    return r;
  }

  // 5. The operator, for `lbo` steps of degradation configs and for AnimeSR's own code.
  const std::string stem = c.output.empty() ? (fs::path(r.run_dir) / c.name).string() : c.output;
  const models::Metadata extra = {{"lbo_rescale_factor", fmt::format("{}", r.factor)},
                                  {"lbo_basic_op", c.basic_op},
                                  {"lbo_input", c.input},
                                  {"lbo_frames", std::to_string(r.frames)}};
  std::tie(r.safetensors, r.pth) = export_lbo(r.train.model_files.back(), stem, extra);
  spdlog::info("LBO written: {} and {}", r.safetensors, r.pth);
  return r;
}

}  // namespace pf::lbo

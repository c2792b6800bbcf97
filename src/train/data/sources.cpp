#include "train/data/sources.h"

#include <fmt/format.h>
#include <torch/nn/functional.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <set>

#include "core/error.h"
#include "core/rng.h"
#include "degrade/config.h"
#include "degrade/pair_maker.h"
#include "io/image.h"
#include "io/image_size.h"

namespace fs = std::filesystem;

namespace pf::train {

namespace {

std::vector<std::string> images_under(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("dataset folder '" + dir + "' does not exist");
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && io::is_image_file(it->path().string()))
      out.push_back(fs::relative(it->path(), dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string stem_of(const std::string& rel) {
  const fs::path p(rel);
  return (p.parent_path() / p.stem()).generic_string();
}

std::string apply_template(const std::string& tmpl, const std::string& stem) {
  std::string out = tmpl;
  const auto at = out.find("{}");
  if (at == std::string::npos) return stem;
  const fs::path p(stem);
  out.replace(at, 2, p.filename().string());
  return (p.parent_path() / out).generic_string();
}

// Uniform integer in [0, n) from an Rng, for crops.
int64_t below(Rng& rng, int64_t n) {
  return n <= 1 ? 0 : rng.uniform_int(0, n - 1);
}

Sample crop_pair(const torch::Tensor& lq, const torch::Tensor& gt, const CropOptions& c, Rng& rng) {
  const int64_t top = below(rng, lq.size(1) - c.lq_size + 1);
  const int64_t left = below(rng, lq.size(2) - c.lq_size + 1);
  Sample s;
  s.lq = as_float(lq.slice(1, top, top + c.lq_size).slice(2, left, left + c.lq_size));
  const int64_t g = c.lq_size * c.scale;
  s.gt = as_float(
      gt.slice(1, top * c.scale, top * c.scale + g).slice(2, left * c.scale, left * c.scale + g));
  return s;
}

torch::Tensor mat_to_tensor(const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  return torch::from_blob(c.data, {c.rows, c.cols, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
}

cv::Mat tensor_to_mat(const torch::Tensor& t) {
  const auto hwc = t.permute({1, 2, 0}).contiguous();
  cv::Mat m(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC3);
  std::memcpy(m.data, hwc.data_ptr<float>(), static_cast<size_t>(hwc.numel()) * sizeof(float));
  return m;
}

}  // namespace

std::vector<ImagePair> list_pairs(const DatasetOptions& d, bool with_lq, int64_t scale,
                                  int64_t min_lq, Warnings& warnings) {
  std::vector<ImagePair> pairs;
  int64_t skipped = 0, unmatched = 0, upscaled = 0;
  // Images smaller than the crop: left out (a crop would need padding, and black borders would
  // become training targets) unless small_images: upscale keeps HQ-only ones.
  struct Small {
    std::string name;
    int64_t w, h;
  };
  std::vector<Small> small;
  int64_t listed = 0, best_lq = 0;
  std::string best_name;
  const bool hq_only_crop = !with_lq && scale > 0 && min_lq > 0;
  for (size_t f = 0; f < d.dataroot_gt.size(); ++f) {
    const std::string& gt_dir = d.dataroot_gt[f];
    std::vector<std::string> names;
    if (!d.meta_info.empty()) {
      std::error_code ec;
      if (!fs::is_regular_file(d.meta_info, ec))
        throw InputError("datasets." + d.key + ".meta_info: '" + d.meta_info +
                         "' is not a regular file");
      std::ifstream in(d.meta_info);
      if (!in) throw InputError("meta_info file '" + d.meta_info + "' cannot be read");
      std::string line;
      while (std::getline(in, line)) {
        const auto word = line.substr(0, line.find_first_of(" \t\r"));
        if (!word.empty()) names.push_back(word);
      }
    } else {
      names = images_under(gt_dir);
    }
    std::map<std::string, std::string> lq_by_stem;
    if (with_lq)
      for (const auto& rel : images_under(d.dataroot_lq[f])) lq_by_stem[stem_of(rel)] = rel;
    for (const auto& rel : names) {
      ImagePair p;
      p.gt = (fs::path(gt_dir) / rel).string();
      if (with_lq) {
        auto it = lq_by_stem.find(apply_template(d.filename_tmpl, stem_of(rel)));
        if (it == lq_by_stem.end()) {
          ++unmatched;
          continue;
        }
        p.lq = (fs::path(d.dataroot_lq[f]) / it->second).string();
      }
      const auto gs = io::read_image_size(p.gt);
      if (!gs) {
        warnings.push_back("skipping unreadable image " + p.gt);
        ++skipped;
        continue;
      }
      ++listed;
      if (with_lq) {
        const auto ls = io::read_image_size(p.lq);
        if (!ls) {
          warnings.push_back("skipping unreadable image " + p.lq);
          ++skipped;
          continue;
        }
        if (scale > 0 && (ls->width * scale != gs->width || ls->height * scale != gs->height))
          throw InputError(fmt::format(
              "datasets.{}: pair {} is not x{}: LQ {} is {}x{}, HQ {} is {}x{} (expected {}x{})",
              d.key, rel, scale, p.lq, ls->width, ls->height, p.gt, gs->width, gs->height,
              ls->width * scale, ls->height * scale));
        const int64_t fits = std::min<int64_t>(ls->width, ls->height);
        if (fits > best_lq) best_lq = fits, best_name = p.lq;
        if (ls->width < min_lq || ls->height < min_lq) {
          small.push_back({p.lq, ls->width, ls->height});
          continue;
        }
      } else if (hq_only_crop) {
        const int64_t fits = std::min<int64_t>(gs->width, gs->height) / scale;
        if (fits > best_lq) best_lq = fits, best_name = p.gt;
        if (gs->width < min_lq * scale || gs->height < min_lq * scale) {
          if (d.small_images != "upscale") {
            small.push_back({p.gt, gs->width, gs->height});
            continue;
          }
          ++upscaled;
        }
      }
      pairs.push_back(std::move(p));
    }
  }
  const int64_t crop = with_lq ? min_lq : min_lq * scale;
  const std::string crop_text =
      with_lq ? fmt::format("the {0}x{0} LQ crop (lq_size)", crop)
              : fmt::format("the {0}x{0} HQ crop (lq_size {1} x scale {2})", crop, min_lq, scale);
  if (!small.empty() && pairs.empty()) {
    std::string msg = fmt::format(
        "datasets.{}: no image is large enough for {}: all {} are smaller; the largest fits "
        "lq_size {} ({}). Lower lq_size to at most {}",
        d.key, crop_text, small.size(), best_lq, best_name, best_lq);
    if (!with_lq) msg += ", or set small_images: upscale to upscale small HQ images";
    throw InputError(msg);
  }
  if (!small.empty()) {
    std::string names;
    for (size_t i = 0; i < small.size() && i < 5; ++i)
      names += fmt::format("{}{} {}x{}", i ? ", " : "", small[i].name, small[i].w, small[i].h);
    if (small.size() > 5) names += fmt::format(" and {} more", small.size() - 5);
    warnings.push_back(
        fmt::format("datasets.{}: {} of {} {} are smaller than {} and are left out{}: {}", d.key,
                    small.size(), listed, with_lq ? "pairs" : "HQ images", crop_text,
                    with_lq ? "" : " (small_images: upscale keeps them, upscaled)", names));
  }
  if (upscaled)
    warnings.push_back(fmt::format(
        "datasets.{}: {} of {} HQ images are smaller than {}: upscaled (bicubic) to fit "
        "(small_images: upscale)",
        d.key, upscaled, listed, crop_text));
  if (unmatched)
    warnings.push_back(fmt::format("datasets.{}: {} HQ images have no LQ twin and are left out",
                                   d.key, unmatched));
  if (skipped)
    warnings.push_back(fmt::format("datasets.{}: {} unreadable images skipped", d.key, skipped));
  if (pairs.empty())
    throw InputError("datasets." + d.key + ": no usable image " + (with_lq ? "pair " : "") + "in " +
                     join(d.dataroot_gt, ", "));
  return pairs;
}

Sample augment(Sample s, const CropOptions& c, uint64_t seed) {
  Rng rng(mix_seed(seed, 0x61756775));
  const bool hflip = c.hflip && rng.uniform() < 0.5;
  const bool vflip = c.rot && rng.uniform() < 0.5;
  const bool rot90 = c.rot && rng.uniform() < 0.5;
  for (torch::Tensor* t : {&s.lq, &s.gt}) {
    if (hflip) *t = t->flip({2});
    if (vflip) *t = t->flip({1});
    if (rot90) *t = t->transpose(1, 2);
    *t = t->contiguous();
  }
  return s;
}

PairedSource::PairedSource(std::vector<ImagePair> pairs, CropOptions crop,
                           std::shared_ptr<ImageStore> store, std::string label)
    : pairs_(std::move(pairs)),
      crop_(crop),
      store_(std::move(store)),
      order_(static_cast<int64_t>(pairs_.size())),
      label_(std::move(label)) {}

Sample PairedSource::sample(const SampleKey& key) const {
  const auto n = static_cast<int64_t>(pairs_.size());
  int64_t index = order_.pick(key.stream, key.ordinal);
  for (int64_t tries = 0; tries < n; ++tries, index = (index + 1) % n) {
    const ImagePair& p = pairs_[static_cast<size_t>(index)];
    torch::Tensor lq, gt;
    try {
      gt = store_->get(p.gt);
      lq = store_->get(p.lq);
    } catch (const InputError& e) {
      store_->note_unreadable(gt.defined() ? p.lq : p.gt, e.what());
      continue;
    }
    if (lq.size(1) * crop_.scale != gt.size(1) || lq.size(2) * crop_.scale != gt.size(2))
      throw InputError(
          fmt::format("pair {} / {}: the LQ x{} is not the HQ's size", p.lq, p.gt, crop_.scale));
    Rng rng(key.seed);
    return augment(crop_pair(lq, gt, crop_, rng), crop_, key.seed);
  }
  throw InputError(label_ + ": no readable image left");
}

std::string PairedSource::describe() const {
  return fmt::format("{} ({} pairs)", label_, pairs_.size());
}

OtfSource::OtfSource(std::vector<ImagePair> hq, CropOptions crop,
                     std::shared_ptr<const degrade::DegradeConfig> degradation,
                     std::shared_ptr<ImageStore> store, std::string label)
    : hq_(std::move(hq)),
      crop_(crop),
      degradation_(std::move(degradation)),
      store_(std::move(store)),
      order_(static_cast<int64_t>(hq_.size())),
      label_(std::move(label)) {}

Sample OtfSource::sample(const SampleKey& key) const {
  const auto n = static_cast<int64_t>(hq_.size());
  int64_t index = order_.pick(key.stream, key.ordinal);
  for (int64_t tries = 0; tries < n; ++tries, index = (index + 1) % n) {
    const std::string& path = hq_[static_cast<size_t>(index)].gt;
    torch::Tensor hq;
    try {
      hq = store_->get(path);
    } catch (const InputError& e) {
      store_->note_unreadable(path, e.what());
      continue;
    }
    // Crop first, then degrade (as Real-ESRGAN does), with a margin of 8 LQ pixels a side so
    // the final crop need not include the borders the operators padded.
    const int64_t s = crop_.scale, patch = (crop_.lq_size + 16) * s;
    Rng rng(key.seed);
    const int64_t ph = std::min(patch, hq.size(1) / s * s),
                  pw = std::min(patch, hq.size(2) / s * s);
    const int64_t top = below(rng, hq.size(1) - ph + 1), left = below(rng, hq.size(2) - pw + 1);
    torch::Tensor tile = as_float(hq.slice(1, top, top + ph).slice(2, left, left + pw));
    if (ph < crop_.lq_size * s || pw < crop_.lq_size * s) {
      // Smaller than a crop: list_pairs kept it for small_images: upscale (it leaves such
      // images out otherwise), so it is upscaled to fit; never padded with black.
      namespace F = torch::nn::functional;
      const double f = static_cast<double>(crop_.lq_size * s) /
                       static_cast<double>(std::min(hq.size(1) / s * s, hq.size(2) / s * s));
      const int64_t h = std::max<int64_t>(crop_.lq_size * s,
                                          static_cast<int64_t>(std::ceil(hq.size(1) * f)) / s * s);
      const int64_t w = std::max<int64_t>(crop_.lq_size * s,
                                          static_cast<int64_t>(std::ceil(hq.size(2) * f)) / s * s);
      tile = F::interpolate(as_float(hq).unsqueeze(0), F::InterpolateFuncOptions()
                                                           .size(std::vector<int64_t>{h, w})
                                                           .mode(torch::kBicubic)
                                                           .align_corners(false))
                 .squeeze(0)
                 .clamp(0, 1)
                 .slice(1, 0, std::min(h, patch))
                 .slice(2, 0, std::min(w, patch));
    }
    const auto pair = degrade::make_pair(*degradation_, tensor_to_mat(tile), cv::Mat(),
                                         mix_seed(key.seed, 0x6f7466));
    // LQ rounded to 8 bits, as Real-ESRGAN's feed_data ends and as written pairs are.
    const auto lq = mat_to_tensor(pair.lq).clamp(0, 1).mul(255).round().div(255);
    const auto gt = mat_to_tensor(pair.hq).clamp(0, 1);
    return augment(crop_pair(lq, gt, crop_, rng), crop_, key.seed);
  }
  throw InputError(label_ + ": no readable image left");
}

std::string OtfSource::describe() const {
  return fmt::format("{} ({} HQ images, degraded on the fly by {})", label_, hq_.size(),
                     degradation_->file);
}

}  // namespace pf::train

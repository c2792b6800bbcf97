// `pairforge compare -o PAGE SOURCE...`: a slow.pics-style comparison page (src/pages) of image
// folders and of models run on the --input images. Parsing and file glue only.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "core/progress.h"
#include "io/image.h"
#include "pages/compare_page.h"
#ifdef PAIRFORGE_HAVE_TORCH
#include "cli/tensor_image.h"
#include "infer/upscaler.h"
#endif

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

struct CompareArgs {
  std::string output, input, hq, pairs, title, device = "auto";
  std::vector<std::string> sources, models;
  int64_t tile = 0;
  int threads = 0, crop = 0;
  bool no_progress = false;
};

// One version: a folder of images (matched to the others by file stem) or a model.
struct Source {
  std::string label;
  fs::path path;
  bool model = false;
  std::map<std::string, fs::path> images;      // folders: stem -> file
  std::function<cv::Mat(const cv::Mat&)> run;  // models: LQ RGB -> output RGB
};

bool is_model_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".pth" || ext == ".safetensors" || ext == ".pt";
}

std::string folder_name(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (n.filename().empty()) n = n.parent_path();  // "out/a/" names a
  const std::string name = fs::absolute(n).filename().string();
  return name.empty() ? n.string() : name;
}

// Images of a folder (not its subfolders) by file stem, so lq/0001.jpg meets out/0001.png.
std::map<std::string, fs::path> images_by_stem(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && io::is_image_file(e.path().string())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, fs::path> out;
  for (const auto& f : files)
    if (!out.emplace(f.stem().string(), f).second)
      spdlog::warn("{}: {} has the same name; the page uses the first", f.string(),
                   out[f.stem().string()].string());
  return out;
}

// SOURCE or -m argument: PATH or LABEL=PATH (a path that exists as written is never split).
Source parse_source(const std::string& arg, bool model) {
  Source s;
  s.path = arg;
  const auto eq = arg.find('=');
  if (!fs::exists(s.path) && eq != std::string::npos && eq > 0) {
    s.label = arg.substr(0, eq);
    s.path = arg.substr(eq + 1);
  }
  if (!fs::exists(s.path)) throw InputError(s.path.string() + ": no such folder or model file");
  s.model = model || (fs::is_regular_file(s.path) && is_model_file(s.path));
  if (!s.model && !fs::is_directory(s.path))
    throw InputError(s.path.string() +
                     ": a SOURCE is a folder of images or a model file (.pth, .safetensors)");
  if (s.label.empty()) s.label = s.model ? s.path.stem().string() : folder_name(s.path);
  if (!s.model) s.images = images_by_stem(s.path);
  return s;
}

#ifdef PAIRFORGE_HAVE_TORCH
std::function<cv::Mat(const cv::Mat&)> model_runner(const fs::path& model, const CompareArgs& a) {
  infer::UpscaleOptions o;
  o.device = a.device, o.tile = a.tile;
  auto up = std::make_shared<infer::Upscaler>(models::load_model(model.string()), o);
  return [up](const cv::Mat& lq) { return chw_to_mat(up->upscale(mat_to_chw(lq))); };
}
#elif defined(PAIRFORGE_TORCH_HELPER)
// Nothing is written before the sources are parsed, so the whole command can start over in the
// binary that has LibTorch.
std::function<cv::Mat(const cv::Mat&)> model_runner(const fs::path& model, const CompareArgs&) {
  exec_torch_helper("comparing a model (" + model.string() + ")");
}
#else
std::function<cv::Mat(const cv::Mat&)> model_runner(const fs::path& model, const CompareArgs&) {
  throw ModelError(model.string() +
                   ": this pairforge was built without LibTorch, so it cannot run models; "
                   "compare folders of their outputs instead");
}
#endif

void run_compare(CompareArgs a) {
  if (!a.pairs.empty()) {
    if (a.input.empty()) a.input = (fs::path(a.pairs) / "lq").string();
    if (a.hq.empty()) a.hq = (fs::path(a.pairs) / "hq").string();
  }
  std::vector<Source> sources;
  for (const auto& s : a.sources) sources.push_back(parse_source(s, false));
  for (const auto& m : a.models) sources.push_back(parse_source(m, true));
  const bool any_model =
      std::any_of(sources.begin(), sources.end(), [](const Source& s) { return s.model; });
  if (any_model && a.input.empty())
    throw Error("models run on the --input images (or --pairs DIR's lq/): give one",
                ExitCode::kUsage);

  // LQ first (key 1), the sources in the order given, HQ last.
  std::map<std::string, fs::path> lq, hq;
  if (!a.input.empty()) {
    if (fs::is_directory(a.input))
      lq = images_by_stem(a.input);
    else if (fs::is_regular_file(a.input) && io::is_image_file(a.input))
      lq[fs::path(a.input).stem().string()] = a.input;
    else
      throw InputError(a.input + ": --input is an image or a folder of images");
  }
  if (!a.hq.empty()) {
    if (!fs::is_directory(a.hq)) throw InputError(a.hq + ": --hq is a folder of images");
    hq = images_by_stem(a.hq);
  }
  std::vector<pages::Version> versions;
  if (!a.input.empty()) versions.push_back({"LQ", pages::VersionKind::kLq});
  for (const auto& s : sources) versions.push_back({s.label, pages::VersionKind::kOutput});
  if (!a.hq.empty()) versions.push_back({"HQ", pages::VersionKind::kHq});
  if (versions.size() < 2)
    throw Error("compare needs two versions or more (--input, SOURCE folders, -m models, --hq)",
                ExitCode::kUsage);

  // The images: the LQ's, else the first folder's, else HQ's.
  const std::map<std::string, fs::path>* names = &hq;
  if (!a.input.empty())
    names = &lq;
  else if (!sources.empty())
    names = &sources.front().images;
  if (names->empty()) throw InputError("compare: no images in the first source");

  for (auto& s : sources)
    if (s.model) s.run = model_runner(s.path, a);

  std::string title = a.title;
  if (title.empty())
    for (const auto& v : versions) title += (title.empty() ? "" : " vs ") + v.label;
  pages::ComparePage page(a.output, title, versions, a.crop);
  Progress bar("compare", static_cast<int64_t>(names->size()),
               !a.no_progress && Progress::stderr_is_tty(), "images", "");
  for (const auto& [name, _] : *names) {
    std::vector<std::optional<pages::Picture>> pictures;
    cv::Mat lq_rgb;
    if (!a.input.empty()) {
      const auto it = lq.find(name);
      if (it != lq.end()) {
        if (any_model) lq_rgb = io::read_image(it->second.string()).rgb;
        pictures.push_back(pages::Picture{it->second.string(), lq_rgb, std::nullopt});
      } else {
        pictures.push_back(std::nullopt);
      }
    }
    for (const auto& s : sources) {
      if (s.model) {
        if (lq_rgb.empty())
          pictures.push_back(std::nullopt);
        else
          pictures.push_back(pages::Picture{"", s.run(lq_rgb), std::nullopt});
        continue;
      }
      const auto it = s.images.find(name);
      if (it == s.images.end())
        pictures.push_back(std::nullopt);
      else
        pictures.push_back(pages::Picture{it->second.string(), cv::Mat(), std::nullopt});
    }
    if (!a.hq.empty()) {
      const auto it = hq.find(name);
      if (it == hq.end())
        pictures.push_back(std::nullopt);
      else
        pictures.push_back(pages::Picture{it->second.string(), cv::Mat(), std::nullopt});
    }
    page.add(name, std::move(pictures));
    bar.advance(1, 1);
  }
  bar.finish();

  const auto means = page.means();
  if (std::any_of(means.begin(), means.end(), [](const auto& m) { return m.has_value(); })) {
    fmt::print("{:<32} {:>9} {:>8} {:>9} {:>8}   (mean over the images, against HQ)\n", "version",
               "PSNR RGB", "SSIM RGB", "PSNR Y", "SSIM Y");
    for (size_t v = 0; v < versions.size(); ++v)
      if (means[v])
        fmt::print("{:<32} {:>9.3f} {:>8.4f} {:>9.3f} {:>8.4f}\n", versions[v].label,
                   means[v]->psnr_rgb, means[v]->ssim_rgb, means[v]->psnr_y, means[v]->ssim_y);
  }
  const std::string index = page.finish();
  spdlog::info("comparison page ({} images, {} versions): file://{}", names->size(),
               versions.size(), fs::absolute(index).string());
}

}  // namespace

void register_compare(CLI::App& app) {
  static CompareArgs a;
  auto* cmd = app.add_subcommand(
      "compare", "Write a comparison page of images and models (slider, zoom, PSNR/SSIM)");
  cmd->add_option("sources", a.sources,
                  "image folders (or model files) to compare; LABEL=PATH names one");
  cmd->add_option("-o,--output", a.output, "page folder to write (index.html + img/)")->required();
  cmd->add_option("-m,--model", a.models, "model run on the --input images (repeatable)");
  cmd->add_option("-i,--input", a.input, "LQ images (folder or one image), shown first");
  cmd->add_option("--hq", a.hq, "HQ folder: shown last, and the reference of PSNR/SSIM");
  cmd->add_option("--pairs", a.pairs, "folder with lq/ and hq/: --input DIR/lq --hq DIR/hq");
  cmd->add_option("--title", a.title, "page title (default: the versions' names)");
  cmd->add_option("--crop", a.crop, "border pixels left out of the metrics")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--tile", a.tile, "tile size for models (0: from the memory budget)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 16));
  cmd->add_option("--device", a.device, "auto, cpu, cuda or cuda:N");
  cmd->add_option("--threads", a.threads, "CPU threads (default: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_flag("--no-progress", a.no_progress, "no progress bar");
  cmd->footer(
      "Example: pairforge compare -o page/ --pairs out/pairs -m a.safetensors -m b.pth "
      "esrgan=results/esrgan\n"
      "Images are matched by file stem across folders. Versions smaller than the output (LQ) "
      "are shown nearest-upscaled and measured that way. Open page/index.html in a browser: "
      "1-9 version, S slider, wheel zoom, drag pan.");
  cmd->callback([] {
#ifdef PAIRFORGE_HAVE_TORCH
    infer::set_threads(a.threads);
#endif
    run_compare(a);
  });
}

}  // namespace pf::cli

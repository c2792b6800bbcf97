// ops_bench: the time of every registered degradation operator on one 1920x1080 frame, single
// thread, as a Markdown table: median of N runs in wall ms and CPU ms, and megapixels of input
// per CPU second. With one thread, CPU time is what an op costs a core even on a shared, loaded
// machine, where wall time also counts the wait for a CPU.
//
// Usage: ops_bench [--image PATH | --synthetic] [--size WxH] [--runs N] [--op NAME]...
// Example: ops_bench --runs 21 --op blur > blur.md
//
// Each operator runs with its table defaults, then with the representative settings listed in
// kSettings below. The list is matched against the registry at run time: operators that are not
// registered are skipped, and a setting naming a parameter the operator does not have (or a value
// outside its range) is reported under the table instead of being run.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "degrade/registry.h"
#include "io/image.h"
#include "rss.h"

namespace {

using pf::Value;
using pf::Values;
using pf::degrade::OpInfo;

// Settings that stand for how each operator is used in real recipes (Real-ESRGAN-like chains,
// codec round trips). Names and values must match the operator's parameter table.
struct Setting {
  const char* op;
  Values overrides;
};

Value i64(int64_t v) {
  return Value{v};
}
Value str(const char* s) {
  return Value{std::string(s)};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = {
      {"blur",
       {{"kernel", str("aniso")},
        {"size", i64(21)},
        {"sigma_x", 3.0},
        {"sigma_y", 1.0},
        {"rotation", 30.0}}},
      {"blur", {{"kernel", str("generalized_aniso")}, {"size", i64(21)}, {"beta", 2.0}}},
      {"blur", {{"kernel", str("sinc")}, {"size", i64(21)}, {"cutoff", 1.0}}},
      {"blur", {{"kernel", str("motion")}, {"size", i64(21)}, {"length", 15.0}}},
      {"blur", {{"kernel", str("iso")}, {"size", i64(7)}, {"sigma_x", 1.0}}},
      {"noise", {{"type", str("gaussian")}, {"sigma", 25.0}, {"gray", true}}},
      {"noise", {{"type", str("poisson")}, {"scale", 2.0}}},
      {"noise", {{"type", str("poisson")}, {"scale", 2.0}, {"gray", true}}},
      {"resize", {{"algorithm", str("cubic")}, {"scale", 0.5}}},
      {"resize", {{"algorithm", str("bilinear")}, {"scale", 1.5}}},
      {"resize", {{"algorithm", str("lanczos")}, {"scale", 0.25}}},
      {"resize", {{"algorithm", str("cv_area")}, {"scale", 0.25}}},
      {"resize", {{"to_target", true}}},
      {"sharpen", {{"mode", str("usm")}, {"target", str("hq")}}},
      {"sharpen", {{"mode", str("fir")}}},
      {"codec", {{"codec", str("h265")}, {"crf", 28.0}}},
      {"codec", {{"codec", str("vp9")}, {"crf", 35.0}}},
      {"codec", {{"codec", str("mpeg2")}, {"qscale", 8.0}}},
      {"codec", {{"codec", str("av1")}, {"crf", 35.0}}},
      {"jpeg", {{"quality", i64(50)}}},
      {"webp", {{"quality", i64(50)}}},
      // The demo operator shipped with configs/degrade/animesr_full.yml (num_feat 64, as
      // AnimeSR's); on the CPU, whatever threads LibTorch has (OMP_NUM_THREADS).
      {"lbo",
       {{"weights", str(PAIRFORGE_SOURCE_DIR "/configs/degrade/lbo/animesr_demo_halo.safetensors")},
        {"device", str("cpu")}}},
  };
  return kSettings;
}

struct Options {
  std::string image;  // empty: the default sample, or a synthetic frame if that is missing
  bool synthetic = false;
  cv::Size size{1920, 1080};
  int runs = 15;
  int scale = 4;  // the pair's LQ factor, used by ops that resize to the target
  std::vector<std::string> only;
};

[[noreturn]] void usage_error(const std::string& message) {
  throw pf::Error("ops_bench: " + message +
                      "\nusage: ops_bench [--image PATH | --synthetic] [--size WxH] [--runs N] "
                      "[--op NAME]...",
                  pf::ExitCode::kUsage);
}

int parse_positive(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > 100000)
    usage_error(flag + " wants a positive integer, got '" + text + "'");
  return static_cast<int>(v);
}

cv::Size parse_size(const std::string& text) {
  const auto x = text.find('x');
  if (x == std::string::npos) usage_error("--size wants WxH, got '" + text + "'");
  return {parse_positive("--size", text.substr(0, x)),
          parse_positive("--size", text.substr(x + 1))};
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--synthetic") {
      o.synthetic = true;
      continue;
    }
    if (i + 1 >= argc) usage_error("unknown or incomplete option '" + arg + "'");
    const std::string value = argv[++i];
    if (arg == "--image")
      o.image = value;
    else if (arg == "--size")
      o.size = parse_size(value);
    else if (arg == "--runs")
      o.runs = parse_positive(arg, value);
    else if (arg == "--op")
      o.only.push_back(value);
    else
      usage_error("unknown option '" + arg + "'");
  }
  if (o.synthetic && !o.image.empty()) usage_error("--image and --synthetic exclude each other");
  return o;
}

// A deterministic frame with what operators react to: smooth gradients, fine periodic texture,
// hard edges and pixel noise.
cv::Mat synthetic_frame(cv::Size size) {
  cv::Mat img(size, CV_32FC3);
  pf::Rng rng(20261122);
  for (int y = 0; y < size.height; ++y) {
    auto* row = img.ptr<cv::Vec3f>(y);
    for (int x = 0; x < size.width; ++x) {
      const float u = static_cast<float>(x) / size.width, v = static_cast<float>(y) / size.height;
      const float texture = 0.15f * std::sin(0.9f * x) * std::sin(0.7f * y);
      const float edge = ((x / 64 + y / 64) % 2) ? 0.2f : 0.0f;
      const float grain = static_cast<float>(0.03 * rng.normal());
      row[x] = {0.2f + 0.6f * u + texture + grain, 0.3f + 0.4f * v + edge, 0.5f + texture - edge};
    }
  }
  return cv::min(cv::max(img, 0.0), 1.0);
}

// Centre crop to `size`, reflect-padding when the image is smaller.
cv::Mat fit_to(const cv::Mat& img, cv::Size size) {
  const int top = std::max(0, (img.rows - size.height) / 2);
  const int left = std::max(0, (img.cols - size.width) / 2);
  const cv::Rect crop(left, top, std::min(img.cols, size.width), std::min(img.rows, size.height));
  cv::Mat out;
  cv::copyMakeBorder(img(crop), out, 0, size.height - crop.height, 0, size.width - crop.width,
                     cv::BORDER_REFLECT_101);
  return out;
}

std::string default_sample() {
  return std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/photo_stream.jpg";
}

cv::Mat load_frame(const Options& o, std::string& source) {
  std::string path = o.image;
  if (path.empty() && !o.synthetic && std::ifstream(default_sample()).good())
    path = default_sample();
  if (path.empty()) {
    source = "synthetic frame";
    return synthetic_frame(o.size);
  }
  source = path;
  return fit_to(pf::io::read_image(path).rgb, o.size);
}

// The op's defaults in table order, with `overrides` applied. Throws pf::Error naming the
// parameter when the op has no such parameter or the value is out of its range.
Values resolve(const OpInfo& op, const Values& overrides) {
  Values values;
  for (const auto& spec : op.params) values.emplace_back(spec.name, spec.def);
  for (const auto& [name, value] : overrides) {
    auto it = std::find_if(values.begin(), values.end(), [&](auto& v) { return v.first == name; });
    if (it == values.end()) throw pf::Error("no parameter '" + name + "'");
    const auto& spec = op.params[static_cast<size_t>(it - values.begin())];
    spec.check(value);
    it->second = value;
  }
  return values;
}

std::string describe(const Values& overrides) {
  if (overrides.empty()) return "defaults";
  std::string s;
  for (const auto& [name, value] : overrides)
    s += (s.empty() ? "" : " ") + name + "=" + pf::value_to_string(value);
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing {
  double wall_ms, cpu_ms;  // medians
  cv::Size lq_size;
};

// CPU time of the whole process (every thread a library might start), in ms.
double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// One untimed warm-up run (first-touch allocations, lazy tables), then `runs` timed applies on
// fresh copies of the frame, each with its own seed.
Timing time_op(const OpInfo& info, const Values& values, const cv::Mat& frame, const Options& o) {
  const auto op = info.make();
  std::vector<double> wall_ms, cpu_ms;
  cv::Size lq_size;
  for (int run = -1; run < o.runs; ++run) {
    pf::degrade::Pair pair;
    pair.hq = frame.clone();
    pair.lq = frame.clone();
    pair.scale = o.scale;
    pf::Rng rng(pf::mix_seed(7, static_cast<uint64_t>(run + 1)));
    const double cpu_start = process_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    op->apply(values, pair, rng);
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    const double cpu = process_cpu_ms() - cpu_start;
    if (run >= 0) wall_ms.push_back(elapsed.count()), cpu_ms.push_back(cpu);
    lq_size = pair.lq.size();
  }
  return {median(wall_ms), median(cpu_ms), lq_size};
}

double load_average() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.compare(0, 10, "model name") == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

bool selected(const Options& o, const std::string& name) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), name) != o.only.end();
}

// Every registered op with its defaults, then the settings of kSettings that belong to it.
std::vector<std::pair<const OpInfo*, Values>> plan(const Options& o,
                                                   std::vector<std::string>& skipped) {
  std::vector<std::pair<const OpInfo*, Values>> cases;
  for (const OpInfo* op : pf::degrade::all_ops()) {
    if (!selected(o, op->name)) continue;
    // A learned operator has no default file to run: only its settings below are timed.
    const bool needs_file = std::any_of(op->params.begin(), op->params.end(), [](const auto& p) {
      return p.file && std::get<std::string>(p.def).empty();
    });
    if (!needs_file) cases.emplace_back(op, Values{});
    for (const auto& s : settings())
      if (s.op == op->name) cases.emplace_back(op, s.overrides);
  }
  for (const auto& name : o.only)
    if (!pf::degrade::find_op(name)) skipped.push_back(name + ": not in the registry");
  for (const auto& s : settings()) {
    const std::string note = std::string(s.op) + ": not in the registry, its settings wait";
    if (o.only.empty() && !pf::degrade::find_op(s.op) &&
        std::find(skipped.begin(), skipped.end(), note) == skipped.end())
      skipped.push_back(note);
  }
  return cases;
}

void run(const Options& o) {
  cv::setNumThreads(1);
  std::string source;
  const cv::Mat frame = load_frame(o, source);
  const double megapixels = frame.total() / 1e6;
  fmt::print("# Operator benchmark\n\n");
  fmt::print("Frame {}x{} ({}), {} runs each (median), 1 thread, pair scale {}, {}, load {:.2f}.\n",
             frame.cols, frame.rows, source, o.runs, o.scale, cpu_model(), load_average());
  fmt::print("MP/s = input megapixels per CPU second.\n\n");
  fmt::print("| op | setting | LQ out | wall ms | CPU ms | MP/s |\n|---|---|---|---:|---:|---:|\n");
  std::vector<std::string> skipped;
  for (const auto& [op, overrides] : plan(o, skipped)) {
    Values values;
    try {
      values = resolve(*op, overrides);
    } catch (const pf::Error& e) {
      skipped.push_back(op->name + " " + describe(overrides) + ": " + e.what());
      continue;
    }
    const Timing t = time_op(*op, values, frame, o);
    fmt::print("| {} | {} | {}x{} | {:.2f} | {:.2f} | {:.1f} |\n", op->name, describe(overrides),
               t.lq_size.width, t.lq_size.height, t.wall_ms, t.cpu_ms,
               megapixels / (t.cpu_ms / 1e3));
  }
  if (!skipped.empty()) {
    fmt::print("\nSkipped:\n");
    for (const auto& s : skipped) fmt::print("- {}\n", s);
  }
  fmt::print("\nPeak RSS: {:.1f} MiB\n", pf::bench::peak_rss_mib());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(parse_args(argc, argv));
    return 0;
  } catch (const pf::Error& e) {
    fmt::print(stderr, "{}\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    fmt::print(stderr, "ops_bench: {}\n", e.what());
    return static_cast<int>(pf::ExitCode::kFailure);
  }
}

// Time of the classical curation measures (src/prep) on whole frames, one thread: the luma, every
// measure of the table, and the duplicate finder's hash and thumbnail, per frame, from the decoded
// float RGB image that `pairforge curate` holds. bench/python/curate_measures.py times the same
// measures in Python/OpenCV. Times are the thread's CPU time (median of the repeats, then over
// the frames). Usage: curate_bench FRAME... [--repeats N] [--values]
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "prep/dedup.h"
#include "prep/measure.h"

namespace {

// Median CPU time of this thread over `repeats` calls after a warm-up: on a machine shared with
// other jobs, the time the measures take rather than the time they waited for a core.
template <class F>
double median_cpu_seconds(F&& run, int repeats) {
  auto now = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  run();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const double start = now();
    run();
    times.push_back(now() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> frames;
  int repeats = 5;
  bool values = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--values")
      values = true;
    else if (a == "--repeats" && i + 1 < argc)
      repeats = std::stoi(argv[++i]);
    else
      frames.push_back(a);
  }
  if (frames.empty()) {
    fmt::print(stderr, "usage: curate_bench FRAME... [--repeats N] [--values]\n");
    return 2;
  }
  cv::setNumThreads(1);
  const auto& table = pf::prep::measures();
  std::vector<std::vector<double>> part(table.size() + 2);  // luma, measures..., dedup
  std::vector<double> total;
  cv::Size size;
  for (const auto& f : frames) {
    const cv::Mat rgb = pf::io::read_image(f).rgb;
    size = rgb.size();
    cv::Mat luma;
    part[0].push_back(median_cpu_seconds([&] { luma = pf::prep::luma8(rgb); }, repeats));
    const pf::prep::Planes planes(luma);
    for (size_t m = 0; m < table.size(); ++m)
      part[m + 1].push_back(median_cpu_seconds([&] { table[m].score(planes); }, repeats));
    if (values) {
      fmt::print("{}", f);
      const auto v = pf::prep::score_all(planes);
      for (size_t m = 0; m < table.size(); ++m) fmt::print(" {}={:.4g}", table[m].name, v[m]);
      fmt::print("\n");
    }
    part.back().push_back(median_cpu_seconds([&] { pf::prep::dedup_item(luma); }, repeats));
    total.push_back(median_cpu_seconds(
        [&] {
          const cv::Mat l = pf::prep::luma8(rgb);
          const pf::prep::Planes p(l);
          pf::prep::score_all(p);
          pf::prep::dedup_item(l);
        },
        repeats));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2] * 1e3;
  };
  fmt::print("frames: {} of {}x{}, {} repeats, 1 thread, CPU time\n", frames.size(), size.width,
             size.height, repeats);
  fmt::print("{:<14} {:>8}\n", "part", "ms");
  fmt::print("{:<14} {:>8.2f}\n", "luma", median(part[0]));
  for (size_t m = 0; m < table.size(); ++m)
    fmt::print("{:<14} {:>8.2f}\n", table[m].name, median(part[m + 1]));
  fmt::print("{:<14} {:>8.2f}\n", "phash+thumb", median(part.back()));
  fmt::print("{:<14} {:>8.2f}\n", "total", median(total));
  return 0;
}

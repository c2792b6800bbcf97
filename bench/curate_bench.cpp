// Time of the classical curation measures (src/prep) on whole frames, one thread: the luma, every
// measure of the table, and the duplicate finder's hash and thumbnail, per frame, from the decoded
// float RGB image that `pairforge curate` holds. bench/python/curate_measures.py times the same
// measures in Python/OpenCV. Usage: curate_bench FRAME... [--repeats N]
#include <fmt/format.h>

#include <algorithm>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "median_time.h"
#include "prep/dedup.h"
#include "prep/measure.h"

int main(int argc, char** argv) {
  std::vector<std::string> frames;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeats" && i + 1 < argc)
      repeats = std::stoi(argv[++i]);
    else
      frames.push_back(a);
  }
  if (frames.empty()) {
    fmt::print(stderr, "usage: curate_bench FRAME... [--repeats N]\n");
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
    part[0].push_back(median_seconds([&] { luma = pf::prep::luma8(rgb); }, repeats));
    const pf::prep::Planes planes(luma);
    for (size_t m = 0; m < table.size(); ++m)
      part[m + 1].push_back(median_seconds([&] { table[m].score(planes); }, repeats));
    part.back().push_back(median_seconds([&] { pf::prep::dedup_item(rgb, luma); }, repeats));
    total.push_back(median_seconds(
        [&] {
          const cv::Mat l = pf::prep::luma8(rgb);
          const pf::prep::Planes p(l);
          pf::prep::score_all(p);
          pf::prep::dedup_item(rgb, l);
        },
        repeats));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2] * 1e3;
  };
  fmt::print("frames: {} of {}x{}, {} repeats, 1 thread\n", frames.size(), size.width, size.height,
             repeats);
  fmt::print("{:<14} {:>8}\n", "part", "ms");
  fmt::print("{:<14} {:>8.2f}\n", "luma", median(part[0]));
  for (size_t m = 0; m < table.size(); ++m)
    fmt::print("{:<14} {:>8.2f}\n", table[m].name, median(part[m + 1]));
  fmt::print("{:<14} {:>8.2f}\n", "phash+thumb", median(part.back()));
  fmt::print("{:<14} {:>8.2f}\n", "total", median(total));
  return 0;
}

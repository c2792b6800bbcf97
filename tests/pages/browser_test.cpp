// The pages in a real browser: pairforge writes a comparison page and a training report, and
// tests/pages/browse.js drives Debian's chromium over them (puppeteer-core) from file://. Checked
// here from what it reports and from its screenshots (kept in the build tree under
// tests/artefacts/): no console errors and no request outside file://, number keys switch versions,
// the wheel zooms into single source pixels drawn as exact blocks (every version at one zoom and
// offset), a drag pans by the pointer's travel, the slider's split follows the pointer, the
// report's charts hold the logged points where uPlot drew them, and the report follows a run's log
// as it grows.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/image.h"
#include "io/quality.h"
#include "pages/page_util.h"
#include "pages_test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf {
namespace {

// Runs browse.js and returns what it printed (null after a failure, which it reports).
json browse(const std::string& scenario, const std::string& args) {
  const std::string command = fmt::format(
      "node {}/tests/pages/browse.js {} {} {} {} {}", PAIRFORGE_SOURCE_DIR,
      test::puppeteer_package(), test::find_chromium(), test::artefacts_dir(), scenario, args);
  std::string out;
  const int rc = test::run_shell(command, &out);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  const auto line = out.rfind("\n{");
  const json j = json::parse(out.substr(line == std::string::npos ? 0 : line + 1), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j.is_discarded() ? json() : j;
}

// A screenshot as 8-bit RGB.
cv::Mat screenshot(const json& file) {
  cv::Mat bgr = cv::imread(file.get<std::string>(), cv::IMREAD_COLOR), rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

// One version as the viewer shows it: its pixels and how many output pixels one of them spans.
struct Shown {
  const cv::Mat* rgb;
  int scale;
};

// Screen geometry of the viewer's state: the view's page rectangle, zoom and offset.
struct Geometry {
  double left, top, width, height, zoom, tx, ty;
  explicit Geometry(const json& s)
      : left(s["view"]["left"]),
        top(s["view"]["top"]),
        width(s["view"]["width"]),
        height(s["view"]["height"]),
        zoom(s["zoom"]),
        tx(s["tx"]),
        ty(s["ty"]) {}
  // The page rectangle of source pixel (i, j) of a version at `scale`.
  cv::Rect2d block(int i, int j, int scale) const {
    const double size = zoom * scale;
    return {left + tx + i * size, top + ty + j * size, size, size};
  }
};

// Every source pixel whose block lies inside the view (x in [x_from, x_to) of the page) must be
// a block of exactly its colour. Returns the number of blocks checked.
int check_blocks(const cv::Mat& shot, const Geometry& g, const Shown& v, double x_from, double x_to,
                 const std::string& what) {
  int checked = 0, wrong = 0;
  for (int j = 0; j < v.rgb->rows; ++j)
    for (int i = 0; i < v.rgb->cols; ++i) {
      const cv::Rect2d b = g.block(i, j, v.scale);
      if (b.x < std::max(g.left, x_from) || b.x + b.width > std::min(g.left + g.width, x_to) ||
          b.y < g.top + 30 || b.y + b.height > g.top + g.height)  // below the labels
        continue;
      const test::Rgb want = test::rgb_at(*v.rgb, i, j);
      // One pixel in from each edge: the edges of a block may fall between screen pixels.
      for (int y = static_cast<int>(std::ceil(b.y + 1)); y < std::floor(b.y + b.height - 1); ++y)
        for (int x = static_cast<int>(std::ceil(b.x + 1)); x < std::floor(b.x + b.width - 1); ++x)
          if (shot.at<test::Rgb>(y, x) != want && wrong++ < 5)
            ADD_FAILURE() << what << ": source pixel (" << i << "," << j << ") drawn as "
                          << shot.at<test::Rgb>(y, x) << " at " << x << "," << y << ", want "
                          << want;
      ++checked;
    }
  return checked;
}

// The viewer scenario of browse.js on a page whose first image's versions are `versions`
// (first: LQ at scale 2; `other` is the version the zoom is checked on next).
void check_viewer(const json& r, const std::vector<Shown>& versions, int other,
                  const std::string& page) {
  // Number keys: 2, 3, then back to 1, which is LQ, labelled as upscaled.
  ASSERT_EQ(r["keys"].size(), 3u);
  EXPECT_EQ(r["keys"][0]["shown"], 1);
  EXPECT_EQ(r["keys"][1]["shown"], 2);
  EXPECT_EQ(r["keys"][2]["shown"], 0);
  EXPECT_NE(r["keys"][2]["tag"].get<std::string>().find("×2, nearest"), std::string::npos)
      << r["keys"][2]["tag"];

  // The wheel zooms in, and the same zoom and offset hold for the next version.
  const Geometry fit(r["fit"]["state"]), zoomed(r["zoomed"]["state"]);
  const Geometry zoomed_other(r["zoomedOther"]["state"]);
  EXPECT_GT(zoomed.zoom, fit.zoom);
  EXPECT_EQ(zoomed.zoom, std::round(zoomed.zoom)) << "zoom levels from 1 up are integers";
  EXPECT_EQ(zoomed_other.zoom, zoomed.zoom);
  EXPECT_EQ(zoomed_other.tx, zoomed.tx);
  EXPECT_EQ(zoomed_other.ty, zoomed.ty);
  EXPECT_EQ(r["zoomedOther"]["state"]["shown"], other);
  const int lq_blocks =
      check_blocks(screenshot(r["zoomed"]["shot"]), zoomed, versions[0], 0, 1e9, page + " LQ");
  const int other_blocks = check_blocks(screenshot(r["zoomedOther"]["shot"]), zoomed_other,
                                        versions[other], 0, 1e9, page + " zoomed");
  EXPECT_GE(lq_blocks, 20) << "LQ blocks of " << 2 * zoomed.zoom << " px checked";
  EXPECT_GE(other_blocks, 60) << "blocks of " << zoomed.zoom << " px checked";
  std::printf("[ measured ] %s: %d LQ blocks of %g px and %d blocks of %g px exact\n", page.c_str(),
              lq_blocks, 2 * zoomed.zoom, other_blocks, zoomed.zoom);

  // A drag pans by exactly the pointer's travel.
  EXPECT_EQ(r["panned"]["tx"].get<double>(), zoomed.tx + 37);
  EXPECT_EQ(r["panned"]["ty"].get<double>(), zoomed.ty + 23);

  // The slider: LQ left of the split, the other side right of it, the split at the pointer.
  ASSERT_EQ(r["slider"].size(), 2u);
  double last_split = -1;
  for (const auto& s : r["slider"]) {
    const json& st = s["state"];
    EXPECT_TRUE(st["slider"].get<bool>());
    const Geometry g(st);
    const double split = g.left + st["split"].get<double>();
    EXPECT_NEAR(st["split"].get<double>(), std::round(g.width * (last_split < 0 ? 0.3 : 0.7)), 1);
    const cv::Mat shot = screenshot(s["shot"]);
    const int a = st["a"], b = st["b"];
    ASSERT_LT(a, static_cast<int>(versions.size()));
    ASSERT_LT(b, static_cast<int>(versions.size()));
    const int left_blocks = check_blocks(shot, g, versions[a], 0, split - 1, page + " slider A");
    const int right_blocks = check_blocks(shot, g, versions[b], split + 1, 1e9, page + " slider B");
    EXPECT_GE(left_blocks, 3);
    EXPECT_GE(right_blocks, 3);
    EXPECT_GT(split, last_split);
    last_split = split;
  }
  EXPECT_EQ(r["next"]["image"], 1) << "ArrowDown shows the next image";
}

// The compare test's images: every pixel differs from its neighbours, every version from the
// others at the same place.
test::Rgb hq_pixel(int x, int y, int o) {
  return {uchar((7 * x + 10 + o) % 256), uchar((9 * y + 5) % 256), uchar((x * y * 13) % 256)};
}

TEST(PagesInBrowser, ComparePageKeysZoomPanSliderAndMetrics) {
  PF_REQUIRE_BROWSER();
  test::TempDir tmp;
  const int w = 64, h = 48;
  std::map<std::string, cv::Mat> first;  // image "a" of each version
  for (const auto& [name, o] : {std::pair<std::string, int>{"a", 0}, {"b", 60}}) {
    const cv::Mat hq = test::image_of(w, h, [o = o](int x, int y) { return hq_pixel(x, y, o); });
    const cv::Mat lq = test::image_of(w / 2, h / 2, [o = o](int x, int y) {
      return test::Rgb(uchar((11 * x + 3 + o) % 256), uchar((13 * y + 40) % 256), 60);
    });
    const cv::Mat sharp = test::image_of(w, h, [o = o](int x, int y) {
      const auto p = hq_pixel(x, y, o);
      return test::Rgb(p[1], p[0], 30);
    });
    const cv::Mat soft = test::image_of(w, h, [o = o](int x, int y) {
      const auto p = hq_pixel(x, y, o);
      return test::Rgb(255 - p[0], p[1], 220);
    });
    for (const auto& [dir, m] : {std::pair<std::string, cv::Mat>{"hq", hq},
                                 {"lq", lq},
                                 {"sharp", sharp},
                                 {"soft", soft}}) {
      if (dir == "soft" && name == "b") continue;  // a version may lack an image
      fs::create_directories(tmp / dir);
      test::write_png(tmp / (dir + "/" + name + ".png"), m);
      if (name == "a") first[dir] = m;
    }
  }
  std::string out;
  ASSERT_EQ(test::run_pairforge("compare -o " + (tmp / "page") + " --input " + (tmp / "lq") + " " +
                                    (tmp / "sharp") + " smooth=" + (tmp / "soft") + " --hq " +
                                    (tmp / "hq") + " --no-progress",
                                &out),
            0)
      << out;
  const json r = browse("compare", tmp / "page/index.html");
  ASSERT_FALSE(r.is_null());
  EXPECT_TRUE(r["problems"].empty()) << r["problems"].dump(1);
  EXPECT_EQ(r["versions"], json({"LQ", "sharp", "smooth", "HQ"}));

  // The numbers on the buttons and in the table are io::measure_quality's (LQ as shown).
  cv::Mat lq_shown;
  cv::resize(first["lq"], lq_shown, first["hq"].size(), 0, 0, cv::INTER_NEAREST);
  const std::vector<std::pair<std::string, io::Quality>> quality = {
      {"LQ", io::measure_quality(lq_shown, first["hq"])},
      {"sharp", io::measure_quality(first["sharp"], first["hq"])},
      {"smooth", io::measure_quality(first["soft"], first["hq"])}};
  for (size_t v = 0; v < quality.size(); ++v) {
    const auto& q = quality[v].second;
    EXPECT_NE(r["buttons"][v].get<std::string>().find(
                  fmt::format("{:.2f} dB · {:.4f}", q.psnr_rgb, q.ssim_rgb)),
              std::string::npos)
        << r["buttons"][v];
    EXPECT_NE(r["metrics"].get<std::string>().find(fmt::format("{:.2f}", q.psnr_y)),
              std::string::npos)
        << r["metrics"];
  }
  EXPECT_TRUE(r["nextButtons"][2]["disabled"].get<bool>()) << "image b has no smooth version";
  EXPECT_FALSE(r["nextButtons"][1]["disabled"].get<bool>());

  const std::vector<Shown> versions = {
      {&first["lq"], 2}, {&first["sharp"], 1}, {&first["soft"], 1}, {&first["hq"], 1}};
  check_viewer(r, versions, 3, "compare");
}

TEST(PagesInBrowser, ReportChartsHoldTheLoggedPointsAndFollowTheLog) {
  PF_REQUIRE_BROWSER();
  if (pages::page_asset("uplot.js").empty())
    GTEST_SKIP() << "built without tools/node_modules/uplot: run scripts/install-deps.sh, rebuild";
  test::TempDir tmp;
  fs::copy(std::string(PAIRFORGE_SOURCE_DIR) + "/tests/data/report_run", tmp.path(),
           fs::copy_options::recursive);
  const std::string run = tmp / "experiments/2x_tiny", page = tmp / "page";
  const json r =
      browse("report", page + "/index.html " + PAIRFORGE_BINARY + " " + run + " " + page);
  ASSERT_FALSE(r.is_null());
  EXPECT_TRUE(r["problems"].empty()) << r["problems"].dump(1);
  EXPECT_EQ(r["watch"]["code"], 0) << "report --watch ends cleanly on SIGINT\n" << r["watchLog"];
  EXPECT_NE(r["status"].get<std::string>().find("iter 3000"), std::string::npos) << r["status"];

  // The charts hold the log's points (iteration 2500's second line, the partial last line left
  // out), and uPlot drew each where the screenshot has its series' colour.
  const json& charts = r["charts"];
  EXPECT_EQ(charts["loss"]["x"], json({100, 500, 1000, 1500, 2000, 2500, 3000}));
  const auto series = [](const json& chart, const std::string& label) {
    for (const auto& s : chart["series"])
      if (s["label"] == label) return s;
    return json();
  };
  EXPECT_EQ(series(charts["loss"], "l1loss")["values"],
            json({0.09, 0.062, 0.048, 0.041, 0.037, 0.034, 0.032}));
  EXPECT_EQ(series(charts["loss"], "total")["values"],
            json({0.151, 0.105, 0.081, 0.07, 0.063, 0.058, 0.054}));
  EXPECT_EQ(series(charts["lr"], "lr")["values"],
            json({0.0002, 0.0002, 0.0002, 0.0001, 0.0001, 0.00005, 0.00005}));
  EXPECT_EQ(series(charts["speed"], "it/s")["values"], json({3.2, 3.1, 3.3, 3.4, 3.3, 2.9, 3.3}));
  EXPECT_EQ(charts["val"]["x"], json({1000, 2000}));
  EXPECT_EQ(series(charts["val"], "psnr")["values"], json({24.1, 26.3}));
  EXPECT_EQ(series(charts["val"], "ssim")["values"], json({0.712, 0.791}));
  const cv::Mat shot = screenshot(r["chartsShot"]);
  int points = 0;
  for (const auto& [key, chart] : charts.items())
    for (const auto& s : chart["series"]) {
      const std::string hex = s["color"];
      ASSERT_EQ(hex.size(), 7u) << hex;
      const test::Rgb want(std::stoi(hex.substr(1, 2), nullptr, 16),
                           std::stoi(hex.substr(3, 2), nullptr, 16),
                           std::stoi(hex.substr(5, 2), nullptr, 16));
      for (const auto& at : s["at"]) {
        const int x = static_cast<int>(std::round(at[0].get<double>()));
        const int y = static_cast<int>(std::round(at[1].get<double>()));
        ASSERT_TRUE(x >= 1 && y >= 1 && x + 1 < shot.cols && y + 1 < shot.rows)
            << key << " point at " << x << "," << y << " is off the screenshot";
        bool found = false;  // the marker's centre, give or take a pixel of rounding
        for (int dy = -1; dy <= 1 && !found; ++dy)
          for (int dx = -1; dx <= 1 && !found; ++dx)
            found = cv::norm(cv::Vec3i(shot.at<test::Rgb>(y + dy, x + dx)) - cv::Vec3i(want),
                             cv::NORM_INF) <= 24;
        EXPECT_TRUE(found) << key << " " << s["label"] << ": no " << hex << " marker at " << x
                           << "," << y;
        ++points;
      }
    }
  EXPECT_EQ(points, 7 * 3 + 7 + 7 * 2 + 2 * 2) << "loss x3, lr, speed x2, val x2";

  // The finished last line reached the open page through --watch and the data.js reload.
  const json& after = r["chartsAfter"]["loss"];
  EXPECT_EQ(after["x"].back(), 3100);
  EXPECT_EQ(series(r["chartsAfter"]["loss"], "l1loss")["values"].back(), 0.031);
  EXPECT_EQ(r["scrollAfterRefresh"], 0) << "a refresh does not scroll the page";

  // The validation images: LQ, HQ, then the iterations newest first, in the same viewer.
  EXPECT_EQ(r["versions"], json({"LQ", "HQ", "iter 2000", "iter 1000"}));
  EXPECT_EQ(r["keys"][1]["tag"], "iter 2000");
  const std::string data = std::string(PAIRFORGE_SOURCE_DIR) + "/tests/data/report_run/";
  const cv::Mat lq = io::read_image(data + "datasets/val/lq/0007.png").rgb;
  const cv::Mat hq = io::read_image(data + "datasets/val/hq/0007.png").rgb;
  const cv::Mat it2000 =
      io::read_image(data + "experiments/2x_tiny/visualization/0007/0007_2000.png").rgb;
  const cv::Mat it1000 =
      io::read_image(data + "experiments/2x_tiny/visualization/0007/0007_1000.png").rgb;
  check_viewer(r, {{&lq, 2}, {&hq, 1}, {&it2000, 1}, {&it1000, 1}}, 1, "report");
}

}  // namespace
}  // namespace pf

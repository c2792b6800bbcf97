// The comparison page's files and data: images put into the page (copied as they are, or
// written as PNG), sizes and scales, PSNR/SSIM as io::measure_quality gives them (LQ as shown,
// nearest-upscaled), and the helpers that keep the HTML well-formed.
#include "pages/compare_page.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "pages/page_util.h"
#include "pages_test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf::pages {
namespace {

TEST(ComparePage, WritesImagesAndMeasuresEveryVersionAgainstHq) {
  test::TempDir tmp;
  const cv::Mat hq = test::textured_image(40, 32, 1), out = test::textured_image(40, 32, 2);
  cv::Mat lq;
  cv::resize(hq, lq, cv::Size(20, 16), 0, 0, cv::INTER_AREA);
  test::write_png(tmp / "lq.png", lq);
  test::write_png(tmp / "hq.png", hq);
  cv::imwrite(tmp / "hq.tif", io::to_bgr_u8(hq));  // not a browser format: re-encoded
  const io::Quality given{30, 0.9, 31, 0.91};

  ComparePage page(tmp / "page", "a <b> & c",
                   {{"LQ", VersionKind::kLq},
                    {"net", VersionKind::kOutput},
                    {"given", VersionKind::kOutput},
                    {"HQ", VersionKind::kHq}});
  page.add("one", {Picture{tmp / "lq.png", {}, {}}, Picture{"", out, {}}, Picture{"", out, given},
                   Picture{tmp / "hq.tif", {}, {}}});
  page.add("two", {Picture{tmp / "lq.png", {}, {}}, std::nullopt, std::nullopt,
                   Picture{tmp / "hq.png", {}, {}}});
  const std::string index = page.finish();
  EXPECT_EQ(index, tmp / "page/index.html");

  const json data = test::page_data(index);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data["title"], "a <b> & c");
  EXPECT_NE(test::read_file(index).find("<title>a &lt;b&gt; &amp; c</title>"), std::string::npos);
  ASSERT_EQ(data["images"].size(), 2u);
  const json& one = data["images"][0];
  EXPECT_EQ(one["name"], "one");
  EXPECT_EQ(one["w"], 40);
  EXPECT_EQ(one["h"], 32);
  EXPECT_EQ(one["v"][0]["scale"], 2);
  EXPECT_EQ(one["v"][0]["src"], "img/one/1-LQ.png");
  EXPECT_EQ(one["v"][1]["src"], "img/one/2-net.png");
  EXPECT_EQ(one["v"][3]["src"], "img/one/4-HQ.png") << "TIFF is re-encoded as PNG";
  for (const auto& v : one["v"])
    EXPECT_TRUE(fs::is_regular_file(tmp / ("page/" + v["src"].get<std::string>()))) << v;
  // The LQ file is in the page byte for byte; the written output decodes to its pixels.
  EXPECT_EQ(test::read_file(tmp / "page/img/one/1-LQ.png"), test::read_file(tmp / "lq.png"));
  EXPECT_LE(cv::norm(io::read_image(tmp / "page/img/one/2-net.png").rgb, out, cv::NORM_INF),
            0.5 / 255 + 1e-6);

  cv::Mat lq_shown;
  cv::resize(io::read_image(tmp / "lq.png").rgb, lq_shown, hq.size(), 0, 0, cv::INTER_NEAREST);
  const io::Quality q_lq = io::measure_quality(lq_shown, hq), q_net = io::measure_quality(out, hq);
  EXPECT_DOUBLE_EQ(one["v"][0]["q"]["psnr"].get<double>(), q_lq.psnr_rgb);
  EXPECT_DOUBLE_EQ(one["v"][0]["q"]["ssim_y"].get<double>(), q_lq.ssim_y);
  EXPECT_DOUBLE_EQ(one["v"][1]["q"]["psnr"].get<double>(), q_net.psnr_rgb);
  EXPECT_DOUBLE_EQ(one["v"][1]["q"]["ssim"].get<double>(), q_net.ssim_rgb);
  EXPECT_DOUBLE_EQ(one["v"][1]["q"]["psnr_y"].get<double>(), q_net.psnr_y);
  EXPECT_DOUBLE_EQ(one["v"][2]["q"]["psnr"].get<double>(), 30) << "the caller's numbers";
  EXPECT_FALSE(one["v"][3].contains("q")) << "HQ is the reference";
  EXPECT_TRUE(data["images"][1]["v"][1].is_null());

  const auto means = page.means();
  ASSERT_TRUE(means[0] && means[1] && means[2]);
  EXPECT_DOUBLE_EQ(means[0]->psnr_rgb, q_lq.psnr_rgb) << "LQ vs HQ is the same in both images";
  EXPECT_DOUBLE_EQ(means[1]->psnr_rgb, q_net.psnr_rgb);
  EXPECT_FALSE(means[3].has_value());
}

TEST(ComparePage, WithoutHqTheLargestVersionSetsTheSizeAndNothingIsMeasured) {
  test::TempDir tmp;
  ComparePage page(tmp / "page", "t", {{"LQ", VersionKind::kLq}, {"x4", VersionKind::kOutput}});
  page.add("a", {Picture{"", test::textured_image(12, 10, 1), {}},
                 Picture{"", test::textured_image(48, 40, 2), {}}});
  const json data = test::page_data(page.finish());
  EXPECT_EQ(data["images"][0]["w"], 48);
  EXPECT_EQ(data["images"][0]["v"][0]["scale"], 4);
  EXPECT_FALSE(data["images"][0]["v"][0].contains("q"));
}

TEST(ComparePage, APictureOfAnotherSizeIsRefusedWithItsFile) {
  test::TempDir tmp;
  test::write_png(tmp / "odd.png", test::textured_image(30, 32, 1));
  ComparePage page(tmp / "page", "t", {{"odd", VersionKind::kOutput}, {"HQ", VersionKind::kHq}});
  try {
    page.add("a",
             {Picture{tmp / "odd.png", {}, {}}, Picture{"", test::textured_image(40, 32, 2), {}}});
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(tmp / "odd.png"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("30x32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ComparePage(tmp / "p2", "t", {{"a", VersionKind::kHq}, {"b", VersionKind::kHq}}),
               Error);
}

TEST(PageUtil, TemplatesJsonAndFileNamesStayWellFormed) {
  EXPECT_EQ(fill_template("<{{a}}|{{b}}>", {{"a", "{{b}}"}, {"b", "2"}}), "<{{b}}|2>")
      << "inserted text is not scanned again";
  EXPECT_THROW(fill_template("{{missing}}", {}), Error);
  const std::string js = script_json({{"name", "</script><!--"}});
  EXPECT_EQ(js.find('<'), std::string::npos) << js;
  EXPECT_EQ(json::parse(js)["name"], "</script><!--");
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(safe_file_name("0007_a-b.png"), "0007_a-b.png");
  EXPECT_NE(safe_file_name("a/b"), safe_file_name("a_b"));
  EXPECT_NE(safe_file_name("a b"), safe_file_name("a:b"));
  EXPECT_EQ(safe_file_name("a/b").find('/'), std::string::npos);
  EXPECT_EQ(safe_file_name("..").find(".."), std::string::npos);
  // Every asset the pages use was embedded.
  for (const char* name : {"viewer.js", "viewer.css", "compare.html", "report.html", "report.js"})
    EXPECT_FALSE(page_asset(name).empty()) << name;
  EXPECT_TRUE(page_asset("no such asset").empty());
}

}  // namespace
}  // namespace pf::pages

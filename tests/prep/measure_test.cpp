// The classical curation measures on crafted images.
#include "prep/measure.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <set>

#include "core/error.h"
#include "prep_test_util.h"

namespace pf {
namespace {

using test::sample;
using test::score;

cv::Mat jpeg_round_trip(const cv::Mat& rgb, int quality) {
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", io::to_bgr_u8(rgb), bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  return io::from_bgr_u8(cv::imdecode(bytes, cv::IMREAD_COLOR));
}

TEST(MeasureTable, NamesAndFlagsAreUniqueAndScoresFollowTheTable) {
  std::set<std::string> names, flags;
  for (const auto& m : prep::measures()) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_FALSE(std::string(m.help).empty()) << m.name;
    const std::string f = prep::threshold_flag(m);
    if (m.direction != prep::Direction::kInfo) {
      EXPECT_TRUE(flags.insert(f).second) << f;
    }
  }
  EXPECT_EQ(prep::threshold_flag(prep::measures()[prep::measure_index("complexity")]),
            "min-complexity");
  EXPECT_EQ(prep::threshold_flag(prep::measures()[prep::measure_index("blockiness")]),
            "max-blockiness");
  const prep::Planes p(prep::luma8(sample("photo_mountain.jpg")));
  EXPECT_EQ(prep::score_all(p).size(), prep::measures().size());
  EXPECT_THROW(prep::measure_index("no-such-measure"), Error);
}

TEST(Blockiness, JpegAtQuality10IsFarBlockierThanItsSource) {
  for (const char* name : {"photo_mountain.jpg", "anime_bg_club.jpg", "photo_coffee.png"}) {
    const cv::Mat src = sample(name);
    const double clean = score("blockiness", src);
    const double q90 = score("blockiness", jpeg_round_trip(src, 90));
    const double q10 = score("blockiness", jpeg_round_trip(src, 10));
    EXPECT_LT(clean, 1.15) << name;
    EXPECT_GT(q10, 1.6 * clean) << name;
    EXPECT_GT(q10, q90) << name;
  }
}

TEST(Blockiness, ATileKeepsItsImagesGrid) {
  const cv::Mat blocky = jpeg_round_trip(sample("photo_mountain.jpg"), 10);
  const prep::Planes whole(prep::luma8(blocky));
  // A tile at an odd origin sees the same grid as the image, so it stays blocky...
  const double tiled = grid_blockiness(whole.tile(cv::Rect(13, 5, 160, 120)));
  EXPECT_GT(tiled, 1.5);
  // ...and the same pixels read as an image of their own (grid at the wrong phase) do not.
  const prep::Planes alone(whole.luma(cv::Rect(13, 5, 160, 120)).clone());
  EXPECT_LT(grid_blockiness(alone), 1.2);
}

TEST(Sharpness, FallsWithEveryStepOfGaussianBlur) {
  const cv::Mat src = sample("anime_bg_lecturehall.jpg");
  double previous = score("sharpness", src);
  for (double sigma : {0.5, 1.0, 1.5, 2.0, 3.0, 5.0}) {
    cv::Mat blurred;
    cv::GaussianBlur(src, blurred, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
    const double s = score("sharpness", blurred);
    EXPECT_LT(s, previous) << "sigma " << sigma;
    previous = s;
  }
  EXPECT_LT(previous, 0.05 * score("sharpness", src));
}

TEST(Complexity, AFlatImageScoresZero) {
  const cv::Mat flat(128, 160, CV_32FC3, cv::Scalar(0.4, 0.5, 0.6));
  EXPECT_NEAR(score("complexity", flat), 0, 1e-9);
  EXPECT_NEAR(score("sharpness", flat), 0, 1e-9);
  EXPECT_NEAR(score("contrast", flat), 0, 1e-9);
  EXPECT_NEAR(score("blockiness", flat), 1, 1e-9);
  EXPECT_LT(score("compression", flat), 0.02);
  const cv::Mat photo = sample("photo_dandelion.jpg");
  EXPECT_GT(score("complexity", photo), 2);
  EXPECT_GT(score("compression", photo), 10 * score("compression", flat));
}

TEST(Complexity, RanksDetailAboveSmoothness) {
  const cv::Mat detailed = sample("photo_stream.jpg");
  cv::Mat soft;
  cv::GaussianBlur(detailed, soft, cv::Size(), 3, 3);
  EXPECT_GT(score("complexity", detailed), 2 * score("complexity", soft));
  EXPECT_GT(score("compression", detailed), score("compression", soft));
}

TEST(Borders, FortyPixelBarsAreReported) {
  cv::Mat img = sample("photo_mountain.jpg", 320, 240);
  img(cv::Rect(0, 0, 320, 40)).setTo(cv::Scalar::all(0));
  img(cv::Rect(0, 200, 320, 40)).setTo(cv::Scalar::all(0.02));  // not quite black
  const auto b = prep::black_borders(prep::luma8(img));
  EXPECT_EQ(b[0], 40);
  EXPECT_EQ(b[1], 40);
  EXPECT_EQ(b[2], 0);
  EXPECT_EQ(b[3], 0);
  EXPECT_EQ(score("border", img), 40);

  cv::Mat pillar = sample("anime_concert.png", 320, 240);
  pillar(cv::Rect(280, 0, 40, 240)).setTo(cv::Scalar::all(0));
  EXPECT_EQ(prep::black_borders(prep::luma8(pillar))[3], 40);
  EXPECT_EQ(score("border", sample("anime_concert.png", 320, 240)), 0);
}

TEST(Exposure, ClippedSharesAndMean) {
  cv::Mat img(100, 100, CV_32FC3, cv::Scalar::all(0.5));
  img(cv::Rect(0, 0, 100, 30)).setTo(cv::Scalar::all(1.0));
  img(cv::Rect(0, 90, 100, 10)).setTo(cv::Scalar::all(0.0));
  EXPECT_NEAR(score("highlights", img), 0.3, 1e-9);
  EXPECT_NEAR(score("shadows", img), 0.1, 1e-9);
  EXPECT_NEAR(score("brightness", img), 0.3 * 255 + 0.6 * 128, 1e-6);
  cv::Mat halves(64, 64, CV_32FC3, cv::Scalar::all(0));
  halves(cv::Rect(0, 0, 32, 64)).setTo(cv::Scalar::all(1));
  EXPECT_NEAR(score("contrast", halves), 127.5, 1e-6);
}

}  // namespace
}  // namespace pf

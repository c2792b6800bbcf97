#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "core/error.h"
#include "degrade/registry.h"
#include "degrade/resample.h"

namespace pf::degrade {
namespace {

cv::Mat resize_lq(const cv::Mat& img, const Values& values, int scale = 1) {
  const OpInfo* info = find_op("resize");
  if (!info) throw Error("resize is not registered");
  Pair pair;
  pair.hq = img.clone(), pair.lq = img.clone(), pair.scale = scale;
  Rng rng(7);
  info->make()->apply(values, pair, rng);
  return pair.lq;
}

cv::Mat checkerboard(int size) {
  cv::Mat img(size, size, CV_32FC3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) img.at<cv::Vec3f>(y, x) = cv::Vec3f::all((x + y) % 2);
  return img;
}

std::vector<std::string> all_algorithms() {
  const OpInfo* info = find_op("resize");
  for (const ParamSpec& spec : info->params)
    if (spec.name == "algorithm") return spec.choices;
  return {};
}

TEST(Resize, OutputSizeIsRoundedFactorOfTheCurrentLq) {
  const cv::Mat img(23, 37, CV_32FC3, cv::Scalar::all(0.5));
  EXPECT_EQ(resize_lq(img, {{"scale", 0.5}}).size(), cv::Size(19, 12));  // 18.5, 11.5 round up
  EXPECT_EQ(resize_lq(img, {{"scale", 1.5}, {"scale_y", 0.25}}).size(), cv::Size(56, 6));
  EXPECT_EQ(resize_lq(img, {{"scale", 0.05}}).size(), cv::Size(2, 1));  // never below 1 pixel
  EXPECT_EQ(resize_lq(img, {{"scale", 0.3}, {"algorithm", std::string("magick")}}).size(),
            cv::Size(11, 7));
  EXPECT_EQ(resize_lq(img, {{"scale", 2.0}, {"algorithm", std::string("cv_area")}}).size(),
            cv::Size(74, 46));
}

TEST(Resize, ToTargetIgnoresScale) {
  const cv::Mat hq(48, 64, CV_32FC3, cv::Scalar::all(0.5));
  for (const std::string& algorithm : all_algorithms())
    EXPECT_EQ(
        resize_lq(hq, {{"scale", 0.15}, {"to_target", true}, {"algorithm", algorithm}}, 4).size(),
        cv::Size(16, 12))
        << algorithm;
}

TEST(Resize, ConstantImageStaysConstantForEveryAlgorithm) {
  const cv::Scalar colour(0.1, 0.6, 0.95);
  const cv::Mat flat(25, 31, CV_32FC3, colour);
  for (const std::string& algorithm : all_algorithms())
    for (double scale : {0.37, 1.9})
      for (bool linear : {false, true}) {
        const cv::Mat out =
            resize_lq(flat, {{"algorithm", algorithm}, {"scale", scale}, {"linear_light", linear}});
        EXPECT_LT(cv::norm(out, cv::Mat(out.size(), CV_32FC3, colour), cv::NORM_INF), 1e-4)
            << algorithm << " scale " << scale << " linear " << linear;
      }
}

TEST(Resize, BoxHalvingOfACheckerboardIsGreyInEitherLight) {
  const cv::Mat board = checkerboard(32);
  const cv::Mat gamma_light = resize_lq(board, {{"algorithm", std::string("box")}});
  const cv::Mat linear_light =
      resize_lq(board, {{"algorithm", std::string("box")}, {"linear_light", true}});
  // Half the pixels are white: 0.5 of the light, which the sRGB curve encodes as 0.735.
  EXPECT_NEAR(cv::mean(gamma_light)[0], 0.5, 1e-6);
  EXPECT_NEAR(cv::mean(linear_light)[0], 0.735357, 1e-4);
  const cv::Mat power =
      resize_lq(board, {{"algorithm", std::string("box")}, {"linear_light", true}, {"gamma", 2.2}});
  EXPECT_NEAR(cv::mean(power)[0], std::pow(0.5, 1 / 2.2), 1e-4);  // 0.7297
}

TEST(Resize, CubicUsesTheGivenBAndC) {
  cv::Mat impulse(1, 9, CV_32FC3, cv::Scalar::all(0));
  impulse.at<cv::Vec3f>(0, 4) = cv::Vec3f::all(1);
  const cv::Mat img = cv::repeat(impulse, 5, 1);
  // Upscaling by 2: output x=9 sits 0.25 px right of the impulse, x=10 0.75 px, x=11 1.25 px.
  const double b = 0.2, c = 0.4;
  const cv::Mat up =
      resize_lq(img, {{"algorithm", std::string("cubic")}, {"b", b}, {"c", c}, {"scale", 2.0}});
  ASSERT_EQ(up.size(), cv::Size(18, 10));
  for (int x : {9, 10, 11}) {
    const double offset = std::abs((x + 0.5) / 2 - 4.5);
    EXPECT_NEAR(up.at<cv::Vec3f>(4, x)[0], cubic_bc(offset, b, c), 1e-6) << x;
  }
}

TEST(Resize, MagickFilterIsUsed) {
  cv::Mat img(40, 40, CV_32FC3);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) img.at<cv::Vec3f>(y, x) = cv::Vec3f::all(x < 20 ? 0.1f : 0.9f);
  const cv::Mat point = resize_lq(img, {{"algorithm", std::string("magick")},
                                        {"magick_filter", std::string("point")},
                                        {"scale", 2.3}});
  const cv::Mat lanczos = resize_lq(img, {{"algorithm", std::string("magick")}, {"scale", 2.3}});
  EXPECT_GT(cv::norm(point, lanczos, cv::NORM_INF), 0.05);
  double lo, hi;
  cv::minMaxLoc(point, &lo, &hi);  // point sampling creates no new values
  EXPECT_NEAR(lo, 0.1, 1e-4);
  EXPECT_NEAR(hi, 0.9, 1e-4);
}

TEST(Resize, ConcurrentAppliesMatchSerialOnes) {
  // The pipeline applies one op instance from many threads; ImageMagick included.
  cv::Mat img(40, 52, CV_32FC3);
  cv::randu(img, 0, 1);
  const std::vector<Values> configs = {
      {{"algorithm", std::string("magick")}, {"magick_filter", std::string("mitchell")}},
      {{"algorithm", std::string("lanczos")}, {"scale", 0.7}, {"linear_light", true}},
      {{"algorithm", std::string("cv_area")}, {"scale", 0.3}, {"scale_y", 0.6}}};
  std::vector<cv::Mat> serial, parallel(configs.size() * 4);
  for (const Values& v : configs) serial.push_back(resize_lq(img, v));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parallel.size(); ++i)
    threads.emplace_back([&, i] { parallel[i] = resize_lq(img, configs[i % configs.size()]); });
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < parallel.size(); ++i)
    EXPECT_EQ(cv::norm(parallel[i], serial[i % configs.size()], cv::NORM_INF), 0) << i;
}

TEST(Resize, EmptyTargetIsATypedError) {
  const cv::Mat tiny(3, 3, CV_32FC3, cv::Scalar::all(0.5));
  EXPECT_THROW(resize_lq(tiny, {{"to_target", true}}, 4), Error);
}

// LQ may outgrow the HQ by one maximal resize, not more: a repeat of `scale: 8` used to grow it
// 64-fold per step until a 6 GB allocation failed (fuzz_degrade_config).
TEST(Resize, LqCannotOutgrowTheHqByMoreThanOneMaximalResize) {
  const cv::Mat hq(12, 16, CV_32FC3, cv::Scalar::all(0.5));
  const OpInfo* info = find_op("resize");
  Pair pair;
  pair.hq = hq.clone(), pair.lq = hq.clone();
  Rng rng(7);
  info->make()->apply({{"scale", 8.0}}, pair, rng);
  EXPECT_EQ(pair.lq.size(), cv::Size(128, 96));
  try {
    info->make()->apply({{"scale", 1.5}}, pair, rng);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("would make LQ 192x144, more than 8 times the HQ (16x12)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pf::degrade

namespace pf::degrade {
namespace {

TEST(ResizeRelativeTo, TargetMultipliesTheTargetSizeNotTheCurrentOne) {
  const OpInfo* info = find_op("resize");
  ASSERT_NE(info, nullptr);
  cv::Mat hq(80, 120, CV_32FC3, cv::Scalar::all(0.5));
  Pair pair{hq, cv::Mat(50, 70, CV_32FC3, cv::Scalar::all(0.5)), 4, {}};  // target 30x20
  Rng rng(1);
  info->make()->apply({{"relative_to", std::string("target")}, {"scale", 0.5}}, pair, rng);
  EXPECT_EQ(pair.lq.size(), cv::Size(15, 10));
  info->make()->apply({{"relative_to", std::string("current")}, {"scale", 2.0}}, pair, rng);
  EXPECT_EQ(pair.lq.size(), cv::Size(30, 20));
}

}  // namespace
}  // namespace pf::degrade

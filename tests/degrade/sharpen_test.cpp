#include "degrade/ops/sharpen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/rng.h"
#include "degrade/pipeline.h"
#include "degrade/registry.h"
#include "degrade/simd/sym_filter.h"
#include "degrade/simd/usm_mask.h"
#include "io/image.h"

namespace pf::degrade {
namespace {

Pair apply_sharpen(const Values& values, const cv::Mat& img) {
  const OpInfo* info = find_op("sharpen");
  EXPECT_NE(info, nullptr);
  Pair pair{img.clone(), img.clone(), 1, {}};
  Rng rng(3);
  info->make()->apply(values, pair, rng);
  return pair;
}

// A vertical step from 0.25 to 0.75 at column 32 (no clipping for the boosts tested).
cv::Mat step_edge() {
  cv::Mat img(8, 64, CV_32FC3, cv::Scalar::all(0.25));
  img(cv::Rect(32, 0, 32, 8)).setTo(cv::Scalar::all(0.75));
  return img;
}

std::vector<float> middle_row(const cv::Mat& img) {
  std::vector<float> row;
  for (int x = 0; x < img.cols; ++x) row.push_back(img.at<cv::Vec3f>(4, x)[0]);
  return row;
}

Values fir(int taps, double corner, double boost) {
  return {{"mode", std::string("fir")},
          {"taps_h", int64_t{taps}},
          {"taps_v", int64_t{taps}},
          {"corner", corner},
          {"boost", boost}};
}

TEST(Sharpen, FirKernelHasDcGainOneAndIsSymmetric) {
  for (int taps : {3, 5, 7})
    for (double corner : {0.05, 0.3, 0.45, 0.6, 0.85})
      for (double boost : {1.0, 1.5, 2.4, 4.0}) {
        const std::vector<double> h = fir_sharpen_taps(taps, corner, boost);
        ASSERT_EQ(static_cast<int>(h.size()), taps);
        EXPECT_NEAR(std::accumulate(h.begin(), h.end(), 0.0), 1.0, 1e-12);
        for (int k = 0; k < taps / 2; ++k) EXPECT_NEAR(h[k], h[taps - 1 - k], 1e-12);
      }
}

TEST(Sharpen, FirTapsMatchScipyFirwin2) {
  // scipy.signal.firwin2(n, [0, f, f + .1, 1], [1, 1, b, b], window=None), normalised to sum 1.
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {{5, 0.3, 2.0}, {-0.15295816, -0.33055949, 1.96703531, -0.33055949, -0.15295816}},
      {{7, 0.6, 1.5},
       {0.00336366, 0.06256508, -0.13521006, 1.13856263, -0.13521006, 0.06256508, 0.00336366}},
      {{3, 0.45, 2.4}, {-0.49412268, 1.98824537, -0.49412268}},
  };
  for (const auto& [args, expected] : cases) {
    const std::vector<double> h = fir_sharpen_taps(static_cast<int>(args[0]), args[1], args[2]);
    for (size_t k = 0; k < h.size(); ++k) EXPECT_NEAR(h[k], expected[k], 1e-8) << args[0];
  }
}

TEST(Sharpen, FirOvershootsOnlyWhenBoosted) {
  const cv::Mat edge = step_edge();
  for (int taps : {3, 5, 7}) {
    const std::vector<float> flat = middle_row(apply_sharpen(fir(taps, 0.45, 1.0), edge).lq);
    EXPECT_NEAR(*std::max_element(flat.begin(), flat.end()), 0.75f, 1e-6) << taps;
    EXPECT_NEAR(*std::min_element(flat.begin(), flat.end()), 0.25f, 1e-6) << taps;

    const std::vector<float> row = middle_row(apply_sharpen(fir(taps, 0.45, 2.0), edge).lq);
    const float overshoot = *std::max_element(row.begin(), row.end()) - 0.75f;
    const float undershoot = 0.25f - *std::min_element(row.begin(), row.end());
    EXPECT_GT(overshoot, 0.05f) << taps;
    EXPECT_NEAR(overshoot, undershoot, 1e-5) << taps;  // symmetric kernel: symmetric halos
  }
}

// Ringing: past the overshoot the bright side dips below its plateau (a second, dark halo). The
// depth of that dip is the outer positive tap times the step height.
float secondary_lobe(const std::vector<float>& row) {
  const auto peak = std::max_element(row.begin() + 32, row.end());
  return 0.75f - *std::min_element(peak, row.end());
}

TEST(Sharpen, FiveAndSevenTapsRingThreeTapsDoNot) {
  const cv::Mat edge = step_edge();
  EXPECT_LT(secondary_lobe(middle_row(apply_sharpen(fir(3, 0.45, 2.0), edge).lq)), 1e-6);

  const std::vector<double> h5 = fir_sharpen_taps(5, 0.6, 2.0);
  const float ring5 = secondary_lobe(middle_row(apply_sharpen(fir(5, 0.6, 2.0), edge).lq));
  EXPECT_NEAR(ring5, 0.5 * h5[0], 1e-5);
  EXPECT_GT(ring5, 0.05f);  // measured 0.0617: 12 % of the step

  const std::vector<double> h7 = fir_sharpen_taps(7, 0.4, 2.0);
  const float ring7 = secondary_lobe(middle_row(apply_sharpen(fir(7, 0.4, 2.0), edge).lq));
  EXPECT_NEAR(ring7, 0.5 * h7[0], 1e-5);
  EXPECT_GT(ring7, 0.04f);  // measured 0.047: 9 % of the step
}

TEST(Sharpen, HorizontalAndVerticalTapsAreIndependent) {
  cv::Mat edge;
  cv::transpose(step_edge(), edge);  // a horizontal edge: only the vertical taps act on it
  Values v = fir(3, 0.6, 2.0);
  v[2] = {"taps_v", int64_t{7}};
  const cv::Mat out = apply_sharpen(v, edge).lq;
  cv::Mat col;
  cv::transpose(out, col);
  const std::vector<float> row = middle_row(col);
  EXPECT_NEAR(secondary_lobe(row),
              0.5 * fir_sharpen_taps(7, 0.6, 2.0)[1] + 0.5 * fir_sharpen_taps(7, 0.6, 2.0)[0],
              1e-5);
}

TEST(Sharpen, UsmOnAFlatImageIsANoOp) {
  const cv::Mat flat(64, 64, CV_32FC3, cv::Scalar(0.2, 0.5, 0.9));
  const cv::Mat out = apply_sharpen({{"mode", std::string("usm")}, {"threshold", 0.0}}, flat).lq;
  EXPECT_LT(cv::norm(out, flat, cv::NORM_INF), 1e-6);
}

TEST(Sharpen, UsmWithoutThresholdIsImagePlusWeightedResidual) {
  cv::Mat img(48, 48, CV_32FC3);
  cv::randu(img, 0.2, 0.8);
  const cv::Mat out = usm_sharpen(img, 10, 0.5, 0.0);
  cv::Mat blur;
  cv::GaussianBlur(img, blur, cv::Size(11, 11), 0);  // radius 10 -> kernel 11, sigma from size
  cv::Mat expected = img + 0.5 * (img - blur);
  cv::min(cv::max(expected, 0.0), 1.0, expected);
  // Where every residual passes the threshold the soft mask is 1 everywhere.
  EXPECT_LT(cv::norm(out, expected, cv::NORM_INF), 1e-5);
}

TEST(Sharpen, UsmThresholdSuppressesLowContrastTexture) {
  // +-2/255 texture: its residual stays under threshold 10, so USM leaves it alone.
  cv::Mat texture(64, 64, CV_32FC3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      texture.at<cv::Vec3f>(y, x) = cv::Vec3f::all(0.5f + ((x / 2 + y / 2) % 2 ? 2.f : -2.f) / 255);
  Values usm = {{"mode", std::string("usm")}, {"amount", 1.0}, {"threshold", 10.0}};
  EXPECT_LT(cv::norm(apply_sharpen(usm, texture).lq, texture, cv::NORM_INF), 1e-6);
  usm[2] = {"threshold", 0.0};
  cv::Scalar mean_in, dev_in, mean_out, dev_out;
  cv::meanStdDev(texture.reshape(1), mean_in, dev_in);
  cv::meanStdDev(apply_sharpen(usm, texture).lq.reshape(1), mean_out, dev_out);
  EXPECT_GT(dev_out[0] / dev_in[0], 1.8);  // amount 1 nearly doubles the texture

  // A strong edge is still sharpened at threshold 10.
  usm[2] = {"threshold", 10.0};
  const cv::Mat edge = step_edge();
  const std::vector<float> row = middle_row(apply_sharpen(usm, edge).lq);
  EXPECT_GT(*std::max_element(row.begin(), row.end()), 0.8f);
}

// A frame with edges, texture and flat areas, `rows` tall.
cv::Mat usm_test_image(int rows = 900, int cols = 40) {
  cv::Mat img(rows, cols, CV_32FC3);
  Rng rng(21);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      for (int c = 0; c < 3; ++c)
        img.at<cv::Vec3f>(y, x)[c] = static_cast<float>(std::clamp(
            (y / 50 + x / 13) % 2 * 0.5 + 0.2 + 0.05 * std::sin(0.9 * y + c) * (y > rows / 2) +
                0.02 * rng.uniform(-1, 1),
            0.0, 1.0));
  return img;
}

// The streamed, vectorised USM against the whole-image one on OpenCV's GaussianBlur: within the
// fixed-point soft mask's bound (usm_mask.h), for heights around the in-place limit (two kernels:
// 102 rows at radius 51), shorter than one kernel (mirrored several times), one row, and one
// column.
// The image blur is fixed point on [0, 1] images (within 0.5/255 of the reference, usm_blur.h);
// a value just above 1 in the first row sends the whole image to the float blur, which leaves
// the soft mask's error alone.
TEST(Sharpen, StreamedUsmEqualsTheWholeImageReference) {
  const double bound = usm_mask_output_bound(usm_mask_kernel(gaussian_half_kernel(51)), 0.5);
  double diff = 0, fixed_diff = 0;
  for (const cv::Size size :
       {cv::Size(40, 900), cv::Size(37, 101), cv::Size(37, 102), cv::Size(37, 103),
        cv::Size(23, 30), cv::Size(64, 1), cv::Size(1, 64)}) {
    cv::Mat img = usm_test_image(size.height, size.width);
    cv::Mat expected = usm_sharpen_reference(img, 51, 0.5, 10);
    const double fixed = cv::norm(usm_sharpen(img, 51, 0.5, 10), expected, cv::NORM_INF);
    EXPECT_LT(fixed, 0.5 / 255) << size;
    fixed_diff = std::max(fixed_diff, fixed);
    img.at<cv::Vec3f>(0, 0)[0] = 1.001f;
    expected = usm_sharpen_reference(img, 51, 0.5, 10);
    const double d = cv::norm(usm_sharpen(img, 51, 0.5, 10), expected, cv::NORM_INF);
    EXPECT_LE(d, bound + 1e-6) << size;
    diff = std::max(diff, d);
  }
  std::printf("streamed usm vs reference: float blur %.3g (bound %.3g), fixed-point blur %.3g\n",
              diff, bound, fixed_diff);
  const cv::Mat img = usm_test_image();
  const cv::Mat expected = usm_sharpen_reference(img, 51, 0.5, 10);
  const cv::Mat streamed = usm_sharpen(img, 51, 0.5, 10);
  EXPECT_GT(cv::norm(expected, img, cv::NORM_INF), 0.05);  // it did sharpen
  // Through the op (in place on HQ), and on a view into a larger frame (own border mirrored):
  // the same bytes as the copy.
  const Pair pair = apply_sharpen(
      {{"mode", std::string("usm")}, {"radius", int64_t{51}}, {"target", std::string("hq")}}, img);
  EXPECT_EQ(cv::norm(pair.hq, streamed, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(pair.lq, img, cv::NORM_INF), 0.0);
  cv::Mat frame(1000, 60, CV_32FC3, cv::Scalar::all(0.9));
  img.copyTo(frame(cv::Rect(10, 50, 40, 900)));
  cv::Mat view = frame(cv::Rect(10, 50, 40, 900));
  usm_sharpen_in_place(view, 51, 0.5, 10);
  EXPECT_EQ(cv::norm(view, streamed, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(frame(cv::Rect(0, 0, 60, 50)), cv::Mat(50, 60, CV_32FC3, cv::Scalar::all(0.9)),
                     cv::NORM_INF),
            0.0);  // the frame around the view is untouched
}

// The unsharp mask hands HQ's 8-bit copy to the writer (Pair::hq8): it must be exactly what the
// writer makes of the float image, so that the PNG is the same file, shared pixels or not.
TEST(Sharpen, UsmMakesHqsEightBitCopyAsTheWriterWould) {
  const cv::Mat img = usm_test_image();
  const OpInfo& sharpen = *find_op("sharpen");
  const Values usm = {
      {"mode", std::string("usm")}, {"radius", int64_t{51}}, {"target", std::string("both")}};
  for (const bool shared : {true, false}) {
    Pair pair{img.clone(), cv::Mat(), 1, {}};
    pair.lq = shared ? pair.hq : img.clone();
    Rng rng(3);
    apply_op(sharpen, *sharpen.make(), usm, pair, rng);
    ASSERT_EQ(pair.hq8.type(), CV_8UC3) << shared;
    ASSERT_EQ(pair.hq8.size(), pair.hq.size());
    EXPECT_GT(cv::norm(pair.hq, img, cv::NORM_INF), 0.05);
    EXPECT_EQ(io::encode_png(pair.hq8, cv::Mat(), 8), io::encode_png(pair.hq, cv::Mat(), 8))
        << shared;
    // An operator that may change HQ drops the copy; one that keeps HQ keeps it.
    const OpInfo& blur = *find_op("blur");
    apply_op(blur, *blur.make(), {}, pair, rng);
    EXPECT_FALSE(pair.hq8.empty());
    apply_op(sharpen, *sharpen.make(), fir(5, 0.45, 2.0), pair, rng);
    EXPECT_TRUE(pair.hq8.empty());
  }
}

TEST(Sharpen, TargetPicksTheImage) {
  const cv::Mat edge = step_edge();
  Values v = fir(5, 0.45, 2.0);
  v.push_back({"target", std::string("hq")});
  Pair hq = apply_sharpen(v, edge);
  EXPECT_GT(cv::norm(hq.hq, edge, cv::NORM_INF), 0.05);
  EXPECT_EQ(cv::norm(hq.lq, edge, cv::NORM_INF), 0.0);
  v.back() = {"target", std::string("both")};
  Pair both = apply_sharpen(v, edge);
  EXPECT_EQ(cv::norm(both.hq, both.lq, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(both.lq, edge, cv::NORM_INF), 0.05);
}

}  // namespace
}  // namespace pf::degrade

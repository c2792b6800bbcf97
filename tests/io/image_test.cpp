#include "io/image.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "io/image_size.h"

namespace pf::io {
namespace {

// Values all over [-0.1, 1.1] (clipping both ways) plus every exact 8-bit level.
cv::Mat random_rgb(int rows, int cols, uint64_t seed) {
  cv::Mat img(rows, cols, CV_32FC3);
  Rng rng(seed);
  float* p = img.ptr<float>();
  for (size_t i = 0; i < img.total() * 3; ++i)
    p[i] = i < 256 ? static_cast<float>(i) / 255.f : static_cast<float>(rng.uniform(-0.1, 1.1));
  return img;
}

// The straightforward quantisation encode_png used before it went row by row: whole-image
// channel swap, OpenCV scaling, clip, truncation.
cv::Mat whole_image_quantise(const cv::Mat& rgb, const cv::Mat& alpha, int bit_depth) {
  cv::Mat bgr;
  if (alpha.empty()) {
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  } else {
    std::vector<cv::Mat> ch;
    cv::split(rgb, ch);
    cv::merge(std::vector<cv::Mat>{ch[2], ch[1], ch[0], alpha}, bgr);
  }
  const double maxv = bit_depth == 16 ? 65535.0 : 255.0;
  cv::Mat scaled;
  bgr.convertTo(scaled, CV_32F, maxv, 0.5);
  cv::Mat clipped = cv::min(cv::max(scaled, 0.0), maxv + 0.49);
  cv::Mat out;
  cv::Mat truncated(clipped.size(), clipped.type());
  const float* src = clipped.ptr<float>();
  float* dst = truncated.ptr<float>();
  for (size_t i = 0; i < clipped.total() * clipped.channels(); ++i)
    dst[i] = static_cast<float>(static_cast<int>(src[i]));
  truncated.convertTo(out, bit_depth == 16 ? CV_16U : CV_8U);  // exact: values are integral
  return out;
}

int differing_values(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  return cv::countNonZero(diff.reshape(1));
}

TEST(Image, RowByRowPngQuantisationEqualsTheWholeImageOne) {
  const cv::Mat rgb = random_rgb(96, 128, 4);
  cv::Mat alpha(96, 128, CV_32F);
  cv::randu(alpha, -0.05, 1.05);
  for (int depth : {8, 16}) {
    for (const cv::Mat& a : {cv::Mat(), alpha}) {
      const std::vector<uint8_t> png = encode_png(rgb, a, depth);
      const cv::Mat decoded = cv::imdecode(png, cv::IMREAD_UNCHANGED);
      const cv::Mat expected = whole_image_quantise(rgb, a, depth);
      ASSERT_EQ(decoded.type(), expected.type()) << depth;
      EXPECT_EQ(differing_values(decoded, expected), 0)
          << "depth " << depth << " alpha " << !a.empty();
    }
  }
}

// An already quantised 8-bit RGB image (degrade::Pair::hq8) is written as it is: the same file as
// its float source; it cannot ask for 16 bits or alpha.
TEST(Image, AnEightBitImageIsWrittenAsItIs) {
  const cv::Mat rgb = random_rgb(33, 47, 5);
  const cv::Mat bgr8 = whole_image_quantise(rgb, cv::Mat(), 8);
  cv::Mat rgb8;
  cv::cvtColor(bgr8, rgb8, cv::COLOR_BGR2RGB);
  EXPECT_EQ(encode_png(rgb8, cv::Mat(), 8), encode_png(rgb, cv::Mat(), 8));
  EXPECT_THROW(encode_png(rgb8, cv::Mat(), 16), Error);
  EXPECT_THROW(encode_png(rgb8, cv::Mat(33, 47, CV_32F, cv::Scalar(1)), 8), Error);
}

// decode_image reorders channels before scaling to float: the result must equal the
// straightforward scale-then-reorder for 8- and 16-bit, with and without alpha.
TEST(Image, DecodeEqualsScaleThenReorder) {
  for (int depth : {CV_8U, CV_16U}) {
    for (int channels : {1, 3, 4}) {
      cv::Mat raw(40, 56, CV_MAKETYPE(depth, channels));
      cv::randu(raw, 0, depth == CV_8U ? 256 : 65536);
      std::vector<uint8_t> png;
      ASSERT_TRUE(cv::imencode(".png", raw, png));
      const Image img = decode_image(png, "test.png");
      cv::Mat f, expected;
      raw.convertTo(f, CV_32F, depth == CV_8U ? 1.0 / 255 : 1.0 / 65535);
      const int code = channels == 1   ? cv::COLOR_GRAY2RGB
                       : channels == 3 ? cv::COLOR_BGR2RGB
                                       : cv::COLOR_BGRA2RGB;
      cv::cvtColor(f, expected, code);
      EXPECT_EQ(cv::norm(img.rgb, expected, cv::NORM_INF), 0.0) << depth << " " << channels;
      if (channels == 4) {
        cv::Mat alpha;
        cv::extractChannel(f, alpha, 3);
        EXPECT_EQ(cv::norm(img.alpha, alpha, cv::NORM_INF), 0.0);
      }
    }
  }
}

}  // namespace
}  // namespace pf::io

namespace pf::io {
namespace {

std::vector<uint8_t> encoded(const std::string& ext, int cols, int rows) {
  cv::Mat img(rows, cols, CV_8UC3);
  cv::randu(img, 0, 256);
  std::vector<uint8_t> out;
  cv::imencode(ext, img, out);
  return out;
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
  try {
    decode_image(bytes, "forged");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A header is checked against the bytes before anything is allocated: OpenCV allocates the
// declared size first, and libjpeg fills a cut-off JPEG with grey, so a few hundred forged bytes
// used to decode "successfully" into gigabytes (a fuzzer finding:
// tests/fuzz/regressions/image/jpeg_253_bytes_declaring_gigapixels.jpg).
TEST(Image, AHeaderDeclaringMoreThanItsBytesHoldIsRefused) {
  std::vector<uint8_t> jpeg = encoded(".jpg", 16, 16);
  ASSERT_EQ(header_size(jpeg)->width, 16);
  for (size_t i = 2; i + 9 < jpeg.size(); ++i)
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {  // SOF0: height, width at +5, +7
      jpeg[i + 5] = jpeg[i + 7] = 0x10;            // 4096 x 4096 in ~900 bytes
      jpeg[i + 6] = jpeg[i + 8] = 0x00;
      break;
    }
  EXPECT_EQ(header_size(jpeg)->width, 4096);
  EXPECT_NE(decode_error(jpeg).find("truncated or corrupt: its header says 4096x4096"),
            std::string::npos)
      << decode_error(jpeg);

  std::vector<uint8_t> png = encoded(".png", 16, 16);
  png[18] = png[22] = 0x10;  // IHDR: 4096 x 4096 (under the pixel limit) in ~800 bytes
  png[19] = png[23] = 0x00;
  EXPECT_NE(decode_error(png).find("truncated or corrupt"), std::string::npos) << decode_error(png);
  // The whole, unforged files decode.
  EXPECT_EQ(decode_image(encoded(".jpg", 64, 48), "ok.jpg").rgb.cols, 64);
  EXPECT_EQ(decode_image(encoded(".png", 64, 48), "ok.png").rgb.cols, 64);
}

TEST(Image, PixelLimitIsPillowsUnlessTheEnvironmentSetsOne) {
  EXPECT_EQ(max_image_pixels(), 178956970u);
  ::setenv("PAIRFORGE_MAX_IMAGE_PIXELS", "100", 1);
  EXPECT_NE(decode_error(encoded(".png", 16, 12)).find("over the limit of 100 pixels"),
            std::string::npos);
  // Formats whose header is not read are checked once decoded.
  EXPECT_NE(decode_error(encoded(".bmp", 16, 12)).find("over the limit of 100 pixels"),
            std::string::npos);
  ::unsetenv("PAIRFORGE_MAX_IMAGE_PIXELS");
  EXPECT_EQ(decode_image(encoded(".png", 16, 12), "ok.png").rgb.rows, 12);
}

}  // namespace
}  // namespace pf::io

// make_pair_in_place (the job's path for whole frames) against make_pair.
#include "degrade/pair_maker.h"

#include <gtest/gtest.h>

#include "degrade/config.h"
#include "degrade/pipeline.h"
#include "degrade/registry.h"
#include "test_util.h"

namespace pf::degrade {
namespace {

DegradeConfig realesrgan() {
  return DegradeConfig::load(std::string(PAIRFORGE_SOURCE_DIR) + "/configs/degrade/realesrgan.yml");
}

TEST(PairMaker, InPlaceEqualsCopyAndAdoptsTheFrame) {
  const DegradeConfig c = realesrgan();
  const cv::Mat frame = test::textured_image(96, 64, 8);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const PairOutput copied = make_pair(c, frame, cv::Mat(), seed);
    cv::Mat own = frame.clone();
    const uchar* pixels = own.data;
    const PairOutput in_place = make_pair_in_place(c, std::move(own), cv::Mat(), seed);
    EXPECT_EQ(cv::norm(copied.hq, in_place.hq, cv::NORM_INF), 0.0) << seed;
    EXPECT_EQ(cv::norm(copied.lq, in_place.lq, cv::NORM_INF), 0.0) << seed;
    // LQ started on the frame's own buffer and the preset's USM wrote HQ to a new image: no
    // copy of the frame was made, so neither output holds it any more (the blur replaced LQ).
    EXPECT_NE(in_place.hq.data, pixels) << seed;
  }
}

// A fresh pair's LQ shares HQ's pixels. An operator that writes in place (noise) gets its own LQ
// first; the unsharp mask, which takes shared pairs, writes HQ to a new image and leaves the
// shared pixels to LQ. Either way the other image keeps its values.
TEST(PairMaker, SharedPixelsAreSplitBeforeAnOperatorWrites) {
  const cv::Mat frame = test::textured_image(96, 64, 3);
  Pair pair;
  pair.hq = frame.clone();
  pair.lq = pair.hq;
  const uchar* pixels = pair.hq.data;
  Rng rng(1);
  const OpInfo& noise = *find_op("noise");
  apply_op(noise, *noise.make(), {{"type", std::string("gaussian")}, {"sigma", 20.0}}, pair, rng);
  EXPECT_EQ(pair.hq.data, pixels);
  EXPECT_NE(pair.lq.data, pixels);
  EXPECT_EQ(cv::norm(pair.hq, frame, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(pair.lq, frame, cv::NORM_INF), 0.01);

  pair.lq = pair.hq;
  const OpInfo& sharpen = *find_op("sharpen");
  apply_op(sharpen, *sharpen.make(), {{"mode", std::string("usm")}, {"target", std::string("hq")}},
           pair, rng);
  EXPECT_EQ(pair.lq.data, pixels);
  EXPECT_NE(pair.hq.data, pixels);
  EXPECT_EQ(cv::norm(pair.lq, frame, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(pair.hq, frame, cv::NORM_INF), 0.01);
}

TEST(PairMaker, InPlaceCopiesAViewIntoALargerFrame) {
  const DegradeConfig c = realesrgan();
  const cv::Mat frame = test::textured_image(100, 70, 9);
  const cv::Mat view = frame(cv::Rect(2, 3, 96, 64));
  const cv::Mat before = frame.clone();
  const PairOutput copied = make_pair(c, view, cv::Mat(), 5);
  const PairOutput in_place = make_pair_in_place(c, cv::Mat(view), cv::Mat(), 5);
  EXPECT_EQ(cv::norm(copied.hq, in_place.hq, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(copied.lq, in_place.lq, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(frame, before, cv::NORM_INF), 0.0);  // the larger frame is untouched
}

}  // namespace
}  // namespace pf::degrade

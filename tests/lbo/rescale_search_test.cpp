// The input-rescaling search: on a clean input it keeps the frame's own size, on an
// over-sharpened or aliased one it scores the unscaled candidate worse than the clean input's
// and prefers shrinking first; the grid, the patches and the sheet behave as documented.
#include "lbo/rescale_search.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "lbo/lbo_test_util.h"

namespace pf::lbo {
namespace {

// A stand-in basic-op model: bicubic x2 (it neither adds nor removes artifacts, so what the
// search sees is the input's own).
cv::Mat bicubic_x2(const cv::Mat& rgb) {
  cv::Mat out;
  cv::resize(rgb, out, rgb.size() * 2, 0, 0, cv::INTER_CUBIC);
  cv::min(cv::max(out, 0.0), 1.0, out);
  return out;
}

SearchOptions options() {
  SearchOptions o;
  o.factors = {0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  o.patches = 8;
  o.patch_size = 32;
  o.context = 8;
  o.weights = {1, 2, 10, 1, 2};  // lbo fit's defaults
  return o;
}

const Candidate& at(const SearchResult& r, double factor) {
  for (const auto& c : r.candidates)
    if (std::abs(c.factor - factor) < 1e-9) return c;
  throw Error("no candidate");
}

std::vector<cv::Mat> frames(int kind) {
  std::vector<cv::Mat> out;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    cv::Mat clean = test::cartoon(128, 96, seed);
    if (kind == 1) out.push_back(test::oversharpened(clean, 1.5, 1.0));
    if (kind == 2) {  // 2-pixel staircases: drawn without antialiasing at half size, doubled
      cv::Mat doubled;
      cv::resize(test::cartoon(64, 48, seed, false), doubled, clean.size(), 0, 0,
                 cv::INTER_NEAREST);
      out.push_back(doubled);
    }
    if (kind == 0) out.push_back(clean);
  }
  return out;
}

TEST(RescaleSearch, RanksOversharpenedAndAliasedInputsWorseThanCleanOnes) {
  const SearchResult clean = search_rescaling(frames(0), bicubic_x2, options());
  const SearchResult sharp = search_rescaling(frames(1), bicubic_x2, options());
  const SearchResult aliased = search_rescaling(frames(2), bicubic_x2, options());
  // Measured at factor 1: clean 0.70, over-sharpened 1.19 (ringing 0.54 vs 0.17), aliased
  // 0.87 (aliasing 0.135 vs 0.069).
  EXPECT_GT(at(sharp, 1.0).score.total, at(clean, 1.0).score.total + 0.3);
  EXPECT_GT(at(sharp, 1.0).score.ringing, at(clean, 1.0).score.ringing * 2);
  EXPECT_GT(at(aliased, 1.0).score.total, at(clean, 1.0).score.total + 0.1);
  EXPECT_GT(at(aliased, 1.0).score.aliasing, at(clean, 1.0).score.aliasing * 1.5);
}

TEST(RescaleSearch, FactorGridIsInclusiveAndRounded) {
  EXPECT_EQ(factor_grid(0.1, 1, 0.1).size(), 10u);
  EXPECT_DOUBLE_EQ(factor_grid(0.1, 1, 0.1).back(), 1.0);
  EXPECT_DOUBLE_EQ(factor_grid(0.1, 1, 0.1)[2], 0.3);
  EXPECT_EQ(factor_grid(0.5, 1, 0.25), (std::vector<double>{0.5, 0.75, 1.0}));
  EXPECT_TRUE(factor_grid(0, 1, 0.1).empty());
}

TEST(RescaleSearch, PatchesAreEdgeRichAndFlatFramesAreAnError) {
  const auto p = pick_patches(frames(0), 6, 32);
  ASSERT_EQ(p.size(), 6u);
  for (const auto& x : p) EXPECT_GE(x.edge_density, 0.02);
  const std::vector<cv::Mat> flat = {cv::Mat(96, 128, CV_32FC3, cv::Scalar::all(0.5))};
  EXPECT_THROW(pick_patches(flat, 4, 32), InputError);
}

TEST(RescaleSearch, PseudoHrIsTwiceTheLrSizeAndTheSheetMarksTheChoice) {
  const cv::Mat lr = test::cartoon(75, 51, 4);
  EXPECT_EQ(pseudo_hr(lr, 0.5, bicubic_x2, "cv_lanczos4").size(), cv::Size(150, 102));
  EXPECT_EQ(pseudo_hr(lr, 0.7, bicubic_x2, "catmull_rom").size(), cv::Size(150, 102));
  SearchOptions o = options();
  o.factors = {0.5, 1.0};
  const SearchResult r = search_rescaling(frames(1), bicubic_x2, o);
  const cv::Mat sheet = contact_sheet(r, 0.5, 3);
  // A header, the LR row and one row per candidate; three columns of patches.
  EXPECT_GT(sheet.rows, 3 * r.candidates[0].crops[0].rows);
  EXPECT_GT(sheet.cols, 3 * r.candidates[0].crops[0].cols);
  const auto j = search_json(r, 0.5);
  EXPECT_DOUBLE_EQ(j["chosen"].get<double>(), 0.5);
  EXPECT_EQ(j["candidates"].size(), 2u);
  EXPECT_TRUE(j["candidates"][0].contains("detail"));
}

}  // namespace
}  // namespace pf::lbo

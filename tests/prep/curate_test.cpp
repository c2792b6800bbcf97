// Curation as a whole: duplicates, best tiles, thresholds on tiles, scores.jsonl.
#include "prep/curate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "core/interrupt.h"
#include "prep/dedup.h"
#include "prep_test_util.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

using test::sample;

void write_jpeg(const std::string& path, const cv::Mat& rgb, int quality) {
  cv::imwrite(path, io::to_bgr_u8(rgb), {cv::IMWRITE_JPEG_QUALITY, quality});
}

cv::Mat shifted(const cv::Mat& rgb, double dx) {
  cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, 0), out;
  cv::warpAffine(rgb, out, m, rgb.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

// A set of three pictures, the first with three near-copies.
struct DuplicateSet {
  test::TempDir dir;
  DuplicateSet() {
    const cv::Mat a = sample("anime_bg_meadow.jpg", 256, 160);
    fs::create_directories(dir / "in/sub");
    test::write_png(dir / "in/a.png", a);
    test::write_png(dir / "in/sub/a_copy.png", a);
    write_jpeg(dir / "in/a_q90.jpg", a, 90);
    test::write_png(dir / "in/a_shift.png", shifted(a, 1));
    test::write_png(dir / "in/b.png", sample("photo_stream.jpg", 256, 160));
    test::write_png(dir / "in/c.png", sample("anime_concert.png", 256, 160));
  }
};

TEST(Dedup, GroupsACopyAReencodeAndAShiftAndNothingElse) {
  std::vector<prep::DedupItem> items;
  std::vector<cv::Mat> images;
  const cv::Mat a = sample("anime_bg_meadow.jpg", 256, 160);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", io::to_bgr_u8(a), jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  images = {a,
            a.clone(),
            io::from_bgr_u8(cv::imdecode(jpeg, cv::IMREAD_COLOR)),
            shifted(a, 1),
            sample("photo_stream.jpg", 256, 160),
            sample("anime_concert.png", 256, 160),
            sample("anime_bg_club.jpg", 256, 160)};
  for (size_t i = 0; i < images.size(); ++i) {
    auto d = prep::dedup_item(prep::luma8(images[i]));
    d.quality = static_cast<double>(i == 3);  // the shifted copy is "best"
    items.push_back(d);
  }
  const auto rep = prep::find_duplicates(items, {});
  EXPECT_EQ(rep, (std::vector<size_t>{3, 3, 3, 3, 4, 5, 6}));
  // SSIM confirms: with it at 1, nothing but the exact copy is a duplicate.
  const auto strict = prep::find_duplicates(items, {10, 0.9999});
  EXPECT_EQ(strict[0], strict[1]);
  EXPECT_EQ(strict[2], 2u);
}

TEST(Curate, KeepsTheBestOfEachDuplicateGroup) {
  DuplicateSet set;
  prep::CurateOptions o;
  o.input = set.dir / "in";
  o.output = set.dir / "out";
  o.use_thresholds = false;
  o.threads = 2;
  const auto r = prep::curate(o);
  ASSERT_EQ(r.records.size(), 6u);
  EXPECT_EQ(r.images, 6);
  EXPECT_EQ(r.kept, 3);
  EXPECT_EQ(r.written, 3);
  // Input order: a.png a_q90.jpg a_shift.png b.png c.png sub/a_copy.png.
  std::vector<std::string> sources;
  for (const auto& rec : r.records) sources.push_back(rec.source);
  EXPECT_EQ(sources, (std::vector<std::string>{"a.png", "a_q90.jpg", "a_shift.png", "b.png",
                                               "c.png", "sub/a_copy.png"}));
  const size_t c = prep::measure_index("complexity");
  int kept_a = 0;
  double best = 0;
  std::string kept_name;
  for (const auto& rec : r.records) {
    if (rec.source == "b.png" || rec.source == "c.png") {
      EXPECT_TRUE(rec.kept) << rec.source;
      continue;
    }
    best = std::max(best, rec.scores[c]);
    if (rec.kept) ++kept_a, kept_name = rec.source;
  }
  EXPECT_EQ(kept_a, 1);
  for (const auto& rec : r.records) {
    if (rec.source == kept_name) {
      EXPECT_EQ(rec.scores[c], best);
    }
    if (!rec.kept) {
      EXPECT_EQ(rec.duplicate_of, kept_name);
      ASSERT_EQ(rec.reasons.size(), 1u);
      EXPECT_EQ(rec.reasons[0], "near-duplicate of " + kept_name);
    }
  }
  EXPECT_TRUE(fs::exists(set.dir / "out/images/b.png"));
  EXPECT_TRUE(fs::exists(set.dir / "out/scores.jsonl"));
  EXPECT_EQ(prep::read_scores(set.dir / "out/scores.jsonl").size(), 6u);
}

TEST(Curate, TopKTilesAreTheKMostComplex) {
  test::TempDir dir;
  // Eight 64 px tiles of rising detail, in a shuffled order.
  const int order[8] = {3, 7, 0, 5, 1, 6, 2, 4};
  cv::Mat img(128, 256, CV_32FC3, cv::Scalar::all(0.5));
  Rng rng(7);
  for (int t = 0; t < 8; ++t) {
    const cv::Rect r((t % 4) * 64, (t / 4) * 64, 64, 64);
    cv::Mat noise(64, 64, CV_32FC3);
    cv::randn(noise, 0, 0.02 * (order[t] + 1));
    img(r) += noise;
  }
  fs::create_directories(dir / "in");
  test::write_png(dir / "in/img.png", img);
  prep::CurateOptions o;
  o.input = dir / "in";
  o.output = dir / "out";
  o.tile = 64;
  o.top = 3;
  o.use_thresholds = false;
  o.dry_run = true;
  const auto r = prep::curate(o);
  ASSERT_EQ(r.records.size(), 8u);
  std::vector<int> kept;
  for (int t = 0; t < 8; ++t)
    if (r.records[t].kept) kept.push_back(order[t]);
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<int>{5, 6, 7}));
  for (const auto& rec : r.records) {
    EXPECT_TRUE(rec.tile);
    if (!rec.kept) {
      EXPECT_EQ(rec.reasons.at(0), "not among the 3 most complex tiles");
    }
  }
  EXPECT_EQ(r.records[1].output, "images/img_x64_y0.png");
  EXPECT_FALSE(fs::exists(dir / "out/images"));  // dry run
}

TEST(Curate, TilesInABlackBarAreRejectedForIt) {
  test::TempDir dir;
  cv::Mat img = sample("photo_mountain.jpg", 256, 192);
  img(cv::Rect(0, 0, 256, 40)).setTo(cv::Scalar::all(0));
  fs::create_directories(dir / "in");
  test::write_png(dir / "in/letterbox.png", img);
  prep::CurateOptions o;
  o.input = dir / "in/letterbox.png";  // one image
  o.output = dir / "out";
  o.tile = 64;
  o.thresholds = prep::default_thresholds();
  for (size_t i = 0; i < o.thresholds.size(); ++i)  // only the border threshold
    if (prep::measures()[i].name != std::string("border")) o.thresholds[i] = NAN;
  const auto r = prep::curate(o);
  ASSERT_EQ(r.records.size(), 12u);
  for (const auto& rec : r.records) {
    EXPECT_EQ(rec.kept, rec.rect.y > 0) << rec.rect;
    if (rec.rect.y == 0) {
      EXPECT_EQ(rec.reasons.at(0), "border 40 > 4");
    }
  }
  EXPECT_EQ(r.written, 8);
  EXPECT_TRUE(fs::exists(dir / "out/images/letterbox_x192_y128.png"));
}

TEST(Curate, UnreadableFilesAreCountedAndListed) {
  test::TempDir dir;
  fs::create_directories(dir / "in");
  test::write_png(dir / "in/good.png", sample("photo_coffee.png", 128, 96));
  io::write_file_atomic(dir / "in/broken.png", std::string("not a png"));
  prep::CurateOptions o;
  o.input = dir / "in";
  o.output = dir / "out";
  o.use_thresholds = false;
  const auto r = prep::curate(o);
  EXPECT_EQ(r.unreadable, 1);
  EXPECT_EQ(r.kept, 1);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].source, "broken.png");
  EXPECT_TRUE(r.records[0].scores.empty());
  EXPECT_NE(r.records[0].reasons.at(0).find("unreadable"), std::string::npos);
}

TEST(Curate, AnInterruptBeforeScoringWritesNothingAndARerunDoesItAll) {
  DuplicateSet set;
  prep::CurateOptions o;
  o.input = set.dir / "in";
  o.output = set.dir / "out";
  request_interrupt();
  const auto stopped = prep::curate(o);
  clear_interrupt();
  EXPECT_TRUE(stopped.interrupted);
  EXPECT_TRUE(stopped.records.empty());
  EXPECT_FALSE(fs::exists(set.dir / "out/scores.jsonl"));
  const auto r = prep::curate(o);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.records.size(), 6u);
  EXPECT_TRUE(fs::exists(set.dir / "out/scores.jsonl"));
}

TEST(Scores, JsonlRoundTrips) {
  prep::Record a;
  a.source = "dir/x.png";
  a.tile = true;
  a.rect = cv::Rect(64, 128, 256, 256);
  for (size_t i = 0; i < prep::measures().size(); ++i) a.scores.push_back(0.1 + i / 3.0);
  a.scores[2] = NAN;
  a.reasons = {"complexity 0.1 < 2", "near-duplicate of y.png"};
  a.duplicate_of = "y.png";
  a.thumb = "thumbs/000001_0002.jpg";
  prep::Record b;
  b.source = "broken.png";
  b.reasons = {"unreadable: broken"};
  prep::Record c;
  c.source = "ok.jpg";
  c.kept = true;
  c.rect = cv::Rect(0, 0, 10, 20);
  c.scores = std::vector<double>(prep::measures().size(), 1e-17);
  c.output = "images/ok.png";
  test::TempDir dir;
  prep::write_scores(dir / "scores.jsonl", {a, b, c});
  const auto back = prep::read_scores(dir / "scores.jsonl");
  ASSERT_EQ(back.size(), 3u);
  const prep::Record* in[] = {&a, &b, &c};
  for (size_t k = 0; k < 3; ++k) {
    const auto& x = *in[k];
    const auto& y = back[k];
    EXPECT_EQ(x.source, y.source);
    EXPECT_EQ(x.tile, y.tile);
    EXPECT_EQ(x.rect, y.rect);
    ASSERT_EQ(x.scores.size(), y.scores.size());
    for (size_t i = 0; i < x.scores.size(); ++i)
      if (std::isnan(x.scores[i]))
        EXPECT_TRUE(std::isnan(y.scores[i]));
      else
        EXPECT_EQ(x.scores[i], y.scores[i]);  // exact: JSON doubles round-trip
    EXPECT_EQ(x.kept, y.kept);
    EXPECT_EQ(x.reasons, y.reasons);
    EXPECT_EQ(x.duplicate_of, y.duplicate_of);
    EXPECT_EQ(x.output, y.output);
    EXPECT_EQ(x.thumb, y.thumb);
  }
}

TEST(Thresholds, ReasonsNameTheMeasureTheValueAndTheLimit) {
  std::vector<double> scores(prep::measures().size(), 0);
  std::vector<double> lim(prep::measures().size(), NAN);
  scores[prep::measure_index("complexity")] = 1.25;
  lim[prep::measure_index("complexity")] = 2;
  scores[prep::measure_index("blockiness")] = 1.8;
  lim[prep::measure_index("blockiness")] = 1.5;
  EXPECT_EQ(prep::threshold_reasons(scores, lim),
            (std::vector<std::string>{"complexity 1.25 < 2", "blockiness 1.8 > 1.5"}));
  EXPECT_EQ(prep::tile_grid({200, 130}, 64, 64).size(), 6u);
  EXPECT_EQ(prep::tile_grid({200, 130}, 64, 32).size(), 5u * 3u);
  EXPECT_TRUE(prep::tile_grid({60, 130}, 64, 64).empty());
}

}  // namespace
}  // namespace pf

// train_log.jsonl as the trainer writes it: both events, unknown keys and events, a line still
// being written, broken lines, and where logged lq/gt paths are found.
#include "pages/train_log.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf::pages {
namespace {

const char* const kLog =
    R"({"event":"train","iter":100,"time":1764620000.5,"elapsed_s":31.2,"lr":0.0002,"losses":{"l1loss":0.031,"total":0.031},"it_per_s":3.2,"data_wait_share":0.02,"eta_s":1200}
{"event":"val","iter":1000,"time":1764620300.0,"metrics":{"psnr":27.31,"ssim":0.8123},"images":[{"name":"0007","output":"visualization/0007/0007_1000.png","lq":"/abs/path/lq/0007.png","gt":"/abs/path/hq/0007.png","psnr":27.0,"ssim":0.81}]}
{"event":"train","iter":200,"lr":0.0001,"losses":{"l1loss":0.02,"note":"text"},"extra":{"a":[1,2]}}
{"event":"checkpoint","iter":200,"path":"models/net_g_200.pth"}
)";

TEST(TrainLog, ReadsTrainAndValLinesIgnoringUnknownKeysAndEvents) {
  const TrainLog log = parse_train_log(kLog, "train_log.jsonl");
  EXPECT_TRUE(log.warnings.empty());
  ASSERT_EQ(log.train.size(), 2u);
  const TrainPoint& t = log.train[0];
  EXPECT_EQ(t.iter, 100);
  EXPECT_DOUBLE_EQ(*t.time, 1764620000.5);
  EXPECT_DOUBLE_EQ(*t.elapsed_s, 31.2);
  EXPECT_DOUBLE_EQ(*t.lr, 0.0002);
  EXPECT_DOUBLE_EQ(*t.it_per_s, 3.2);
  EXPECT_DOUBLE_EQ(*t.data_wait_share, 0.02);
  EXPECT_DOUBLE_EQ(*t.eta_s, 1200);
  EXPECT_EQ(t.losses, (std::map<std::string, double>{{"l1loss", 0.031}, {"total", 0.031}}));
  // A line without some keys has them empty; a non-number loss is left out.
  EXPECT_FALSE(log.train[1].time.has_value());
  EXPECT_EQ(log.train[1].losses, (std::map<std::string, double>{{"l1loss", 0.02}}));

  ASSERT_EQ(log.val.size(), 1u);
  const ValPoint& v = log.val[0];
  EXPECT_EQ(v.iter, 1000);
  EXPECT_EQ(v.metrics, (std::map<std::string, double>{{"psnr", 27.31}, {"ssim", 0.8123}}));
  ASSERT_EQ(v.images.size(), 1u);
  EXPECT_EQ(v.images[0].name, "0007");
  EXPECT_EQ(v.images[0].output, "visualization/0007/0007_1000.png");
  EXPECT_EQ(v.images[0].lq, "/abs/path/lq/0007.png");
  EXPECT_EQ(v.images[0].gt, "/abs/path/hq/0007.png");
  EXPECT_DOUBLE_EQ(*v.images[0].psnr, 27.0);
  EXPECT_DOUBLE_EQ(*v.images[0].ssim, 0.81);
}

TEST(TrainLog, SkipsTheLineBeingWrittenSilentlyAndNamesBrokenOnes) {
  const std::string text = std::string(kLog) +
                           "not json\n"
                           "{\"event\":\"train\",\"lr\":0.1}\n"
                           "[1, 2]\n"
                           "{\"event\":\"train\",\"iter\":300,\"losses\":{\"l1";
  const TrainLog log = parse_train_log(text, "run/train_log.jsonl");
  EXPECT_EQ(log.train.size(), 2u);
  ASSERT_EQ(log.warnings.size(), 3u);
  EXPECT_EQ(log.warnings[0], "run/train_log.jsonl:5: not a JSON object, left out");
  EXPECT_EQ(log.warnings[1], "run/train_log.jsonl:6: a \"train\" line without \"iter\", left out");
  EXPECT_EQ(log.warnings[2], "run/train_log.jsonl:7: not a JSON object, left out");

  // The same line finished: it counts.
  const TrainLog done = parse_train_log(text + "loss\":0.01}}\n", "x");
  ASSERT_EQ(done.train.size(), 3u);
  EXPECT_EQ(done.train.back().iter, 300);
  EXPECT_DOUBLE_EQ(done.train.back().losses.at("l1loss"), 0.01);
  // An empty file and blank lines are no run yet, not an error.
  EXPECT_TRUE(parse_train_log("", "x").train.empty());
  EXPECT_TRUE(parse_train_log("\n\n", "x").warnings.empty());
}

TEST(TrainLog, ReadingAMissingFileNamesIt) {
  try {
    read_train_log("/nonexistent/train_log.jsonl");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/train_log.jsonl"), std::string::npos);
  }
}

TEST(TrainLog, LoggedPathsResolveAsGivenElseBesideExperiments) {
  test::TempDir tmp;
  const fs::path root = tmp.path();
  fs::create_directories(root / "experiments/run/visualization");
  fs::create_directories(root / "datasets/val/lq");
  test::write_png((root / "datasets/val/lq/0007.png").string(), test::textured_image(4, 4, 1));
  // Absolute paths are taken as they are, existing or not.
  EXPECT_EQ(resolve_logged_path("/abs/lq/0007.png", root / "experiments/run"),
            fs::path("/abs/lq/0007.png"));
  // Relative ones that do not exist from here: relative to the folder holding experiments/.
  const fs::path want = root / "datasets/val/lq/0007.png";
  EXPECT_EQ(resolve_logged_path("datasets/val/lq/0007.png", root / "experiments/run"), want);
  EXPECT_EQ(resolve_logged_path("datasets/val/lq/0007.png", root / "experiments/run/"), want);
  EXPECT_EQ(resolve_logged_path("datasets/val/lq/0007.png", root / "experiments/./run"), want);
  // One that exists from the working directory wins.
  const fs::path cwd = fs::current_path();
  fs::current_path(root);
  EXPECT_EQ(resolve_logged_path("datasets/val/lq/0007.png", "/elsewhere/experiments/run"),
            fs::path("datasets/val/lq/0007.png"));
  fs::current_path(cwd);
}

}  // namespace
}  // namespace pf::pages

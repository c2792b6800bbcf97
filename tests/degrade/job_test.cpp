// The pair writer: determinism across threads and shards, resume, replay, tiles, alpha.
#include "degrade/job.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/interrupt.h"
#include "degrade/manifest.h"
#include "degrade/pair_maker.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf::degrade {
namespace {

const char* kConfig =
    "scale: 1\nvariants: 2\npipeline:\n"
    "  - blur: {p: 0.8, kernel: {choice: [iso, aniso, generalized_aniso, sinc]}, sigma_x: [0.2, 3],"
    " sigma_y: [0.2, 3], rotation: [-180, 180], size: [3, 9], beta: [0.5, 4]}\n"
    "  - repeat: {times: [0, 2], steps: [{blur: {kernel: disc, radius: [1, 2], size: 5}}]}\n";

DegradeConfig config_of(const std::string& yaml) {
  return DegradeConfig::parse(load_yaml_string(yaml, "job.yml"));
}

void make_inputs(const test::TempDir& dir, int n) {
  fs::create_directories(dir / "in/sub");
  for (int i = 0; i < n; ++i)
    test::write_png(
        dir / ("in/" + std::string(i % 2 ? "sub/" : "") + "img" + std::to_string(i) + ".png"),
        test::textured_image(40 + i, 30 + 2 * i, static_cast<uint64_t>(i)));
}

JobSummary run(const DegradeConfig& c, const std::string& in, const std::string& out, int threads,
               int shard = 0, int shards = 1) {
  clear_interrupt();
  JobOptions o;
  o.input = in, o.output = out, o.threads = threads, o.shard_index = shard, o.shard_count = shards;
  return run_degrade_job(c, o);
}

// name -> bytes of every file under hq/ and lq/, plus the manifest.
std::map<std::string, std::string> snapshot(const std::string& out) {
  std::map<std::string, std::string> files;
  for (const char* sub : {"hq", "lq"})
    for (const auto& e : fs::recursive_directory_iterator(fs::path(out) / sub))
      if (e.is_regular_file())
        files[fs::relative(e.path(), out).string()] = test::read_file(e.path().string());
  files["manifest.jsonl"] = test::read_file((fs::path(out) / "manifest.jsonl").string());
  return files;
}

// Compares two snapshots by name, reporting names only (PNG bytes make unreadable messages).
void expect_same_files(const std::map<std::string, std::string>& a,
                       const std::map<std::string, std::string>& b) {
  for (const auto& [name, bytes] : a) {
    const auto it = b.find(name);
    if (it == b.end())
      ADD_FAILURE() << "missing in the second run: " << name;
    else if (it->second != bytes)
      ADD_FAILURE() << "bytes differ: " << name;
  }
  for (const auto& [name, bytes] : b)
    if (!a.count(name)) ADD_FAILURE() << "extra in the second run: " << name;
}

TEST(Job, WritesMatchingPairsAndManifest) {
  test::TempDir dir;
  make_inputs(dir, 4);
  const JobSummary s = run(config_of(kConfig), dir / "in", dir / "out", 2);
  EXPECT_EQ(s.inputs, 4);
  EXPECT_EQ(s.pairs_written, 8);  // 4 images x 2 variants
  const auto files = snapshot(dir / "out");
  EXPECT_TRUE(files.count("hq/sub/img1_v1.png"));
  EXPECT_TRUE(files.count("lq/sub/img1_v1.png"));
  std::istringstream manifest(files.at("manifest.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(manifest, line)) {
    const auto r = pair_record_from_json(nlohmann::json::parse(line), "m");
    EXPECT_TRUE(files.count("lq/" + r.name + ".png")) << r.name;
    ++lines;
  }
  EXPECT_EQ(lines, 8);
}

TEST(Job, SameSeedIdenticalBytesWithOneOrTwoThreadsAndShards) {
  test::TempDir dir;
  make_inputs(dir, 5);
  const auto c = config_of(kConfig);
  run(c, dir / "in", dir / "t1", 1);
  run(c, dir / "in", dir / "t2", 2);
  run(c, dir / "in", dir / "sh", 1, 0, 2);
  run(c, dir / "in", dir / "sh", 2, 1, 2);
  const auto a = snapshot(dir / "t1");
  expect_same_files(a, snapshot(dir / "t2"));
  expect_same_files(a, snapshot(dir / "sh"));
}

TEST(Job, DifferentSeedDifferentLq) {
  test::TempDir dir;
  make_inputs(dir, 2);
  auto c = config_of(kConfig);
  run(c, dir / "in", dir / "a", 1);
  c.seed = 12345;
  run(c, dir / "in", dir / "b", 1);
  EXPECT_NE(snapshot(dir / "a").at("lq/img0_v0.png"), snapshot(dir / "b").at("lq/img0_v0.png"));
}

TEST(Job, ShardsSplitInputsWithoutOverlap) {
  test::TempDir dir;
  make_inputs(dir, 5);
  const auto c = config_of(kConfig);
  const JobSummary s0 = run(c, dir / "in", dir / "s0", 1, 0, 2);
  const JobSummary s1 = run(c, dir / "in", dir / "s1", 1, 1, 2);
  EXPECT_EQ(s0.inputs + s1.inputs, 5);
  for (const auto& [name, bytes] : snapshot(dir / "s0")) {
    if (name != "manifest.jsonl") {
      EXPECT_FALSE(fs::exists(fs::path(dir / "s1") / name)) << name;
    }
  }
}

TEST(Job, ResumeSkipsFinishedPairsAndRedoesUnfinishedOnes) {
  test::TempDir dir;
  make_inputs(dir, 4);
  const auto c = config_of(kConfig);
  run(c, dir / "in", dir / "full", 2);
  run(c, dir / "in", dir / "part", 2);
  // Simulate a kill: one pair lost its record (killed between the LQ and the record), another
  // left a stray temp file and a truncated LQ without a record.
  fs::remove(fs::path(dir / "part") / "meta/img0_v0.json");
  fs::remove(fs::path(dir / "part") / "meta/img2_v1.json");
  test::write_png(io::temp_path_for_tests(dir / "part/lq/img2_v1.png", 999999),
                  cv::Mat(4, 4, CV_32FC3, cv::Scalar::all(0)));
  std::ofstream(dir / "part/lq/img2_v1.png", std::ios::trunc) << "trunc";
  const JobSummary s = run(c, dir / "in", dir / "part", 2);
  EXPECT_EQ(s.pairs_written, 2);
  EXPECT_EQ(s.pairs_already_done, 6);
  expect_same_files(snapshot(dir / "full"), snapshot(dir / "part"));
}

TEST(Job, ReplayRebuildsAPairByteIdentically) {
  test::TempDir dir;
  make_inputs(dir, 3);
  run(config_of(kConfig), dir / "in", dir / "out", 2);
  for (const char* name : {"img0_v1", "sub/img1_v0", "img2_v0"}) {
    const PairRecord r = find_in_manifest(dir / "out/manifest.jsonl", name);
    const io::Image img = io::read_image(fs::path(r.input_root) / r.source);
    const PairOutput p = replay_pair(r.steps, r.scale, r.alpha, r.background, img.rgb(r.crop),
                                     img.alpha.empty() ? cv::Mat() : img.alpha(r.crop));
    const auto lq = io::encode_png(p.lq, p.lq_alpha, r.depth);
    EXPECT_EQ(std::string(lq.begin(), lq.end()),
              test::read_file(dir / ("out/lq/" + std::string(name) + ".png")))
        << name;
  }
}

TEST(Job, TilesCoverTheImageAndFlatTilesAreSkipped) {
  const auto tiles = tile_grid({100, 70}, 2, 32, 0);
  ASSERT_EQ(tiles.size(), 12u);  // x: 0 32 64 68; y: 0 32 38
  EXPECT_EQ(tiles.back(), cv::Rect(68, 38, 32, 32));
  for (const auto& t : tiles) EXPECT_EQ(t.x % 2 + t.y % 2, 0);
  EXPECT_TRUE(tile_grid({20, 20}, 1, 32, 0).empty());

  test::TempDir dir;
  fs::create_directories(dir / "in");
  cv::Mat img = test::textured_image(64, 32, 3);
  img(cv::Rect(32, 0, 32, 32)).setTo(cv::Scalar::all(0.5));  // right half flat
  test::write_png(dir / "in/a.png", img);
  auto c = config_of(std::string(kConfig) + "gt_size: 32\nflat_threshold: 0.01\n");
  const JobSummary s = run(c, dir / "in", dir / "out", 1);
  EXPECT_EQ(s.tiles_flat, 1);
  EXPECT_EQ(s.pairs_written, 2);
  EXPECT_TRUE(fs::exists(dir / "out/lq/a_s001_v1.png"));
}

TEST(Job, AlphaCarriedOrComposited) {
  test::TempDir dir;
  fs::create_directories(dir / "in");
  cv::Mat alpha(24, 24, CV_32F, cv::Scalar(1));
  alpha(cv::Rect(0, 0, 12, 24)).setTo(0);
  test::write_png(dir / "in/a.png", test::textured_image(24, 24, 1), alpha);
  run(config_of("pipeline: []\n"), dir / "in", dir / "carry", 1);
  const io::Image carried = io::read_image(dir / "carry/lq/a.png");
  ASSERT_FALSE(carried.alpha.empty());
  EXPECT_EQ(carried.alpha.at<float>(5, 2), 0.f);
  run(config_of("alpha: composite\nbackground: [1, 0, 0]\npipeline: []\n"), dir / "in",
      dir / "comp", 1);
  const io::Image comp = io::read_image(dir / "comp/lq/a.png");
  EXPECT_TRUE(comp.alpha.empty());
  EXPECT_EQ(comp.rgb.at<cv::Vec3f>(5, 2), cv::Vec3f(1, 0, 0));
}

TEST(Job, EmptyOrMissingInputIsAClearError) {
  test::TempDir dir;
  fs::create_directories(dir / "empty");
  EXPECT_THROW(run(config_of(kConfig), dir / "empty", dir / "out", 1), InputError);
  EXPECT_THROW(run(config_of(kConfig), dir / "missing", dir / "out", 1), InputError);
}

// An output folder that cannot be made (a file in the way here; a full disk or no permission
// elsewhere) is exit code 5 naming the folder, not an internal error.
TEST(Job, UncreatableOutputIsAnIoError) {
  test::TempDir dir;
  make_inputs(dir, 1);
  std::ofstream(dir / "file") << "in the way";
  try {
    run(config_of(kConfig), dir / "in", dir / "file/out", 1);
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "file/out"), std::string::npos) << e.what();
  }
  try {
    io::write_file_atomic(dir / "file/x.json", std::string("{}"));
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create its folder: Not a directory"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pf::degrade

namespace pf::degrade {
namespace {

// The full Real-ESRGAN preset (two stages, every operator family, x4): same bytes whatever the
// thread count or shard split, and every pair replays exactly from its manifest record.
TEST(JobWithPreset, RealesrganIsDeterministicAndReplayable) {
  test::TempDir dir;
  fs::create_directories(dir / "in");
  for (int i = 0; i < 4; ++i)
    test::write_png(dir / ("in/f" + std::to_string(i) + ".png"),
                    test::textured_image(64 + 4 * i, 48, static_cast<uint64_t>(i)));
  auto c =
      DegradeConfig::load(std::string(PAIRFORGE_SOURCE_DIR) + "/configs/degrade/realesrgan.yml");
  c.variants = 2;
  run(c, dir / "in", dir / "t1", 1);
  run(c, dir / "in", dir / "t2", 2);
  run(c, dir / "in", dir / "sh", 2, 0, 2);
  run(c, dir / "in", dir / "sh", 1, 1, 2);
  const auto a = snapshot(dir / "t1");
  EXPECT_EQ(a.size(), 17u);  // 8 HQ + 8 LQ + manifest
  expect_same_files(a, snapshot(dir / "t2"));
  expect_same_files(a, snapshot(dir / "sh"));
  const io::Image lq = io::read_image(dir / "t1/lq/f3_v1.png");
  EXPECT_EQ(lq.rgb.size(), cv::Size(19, 12));  // 76x48 / 4

  for (const char* name : {"f0_v0", "f1_v1", "f3_v0"}) {
    const PairRecord r = find_in_manifest(dir / "t1/manifest.jsonl", name);
    const io::Image img = io::read_image(fs::path(r.input_root) / r.source);
    const PairOutput p = replay_pair(r.steps, r.scale, r.alpha, r.background, img.rgb(r.crop), {});
    const auto hq = io::encode_png(p.hq, p.hq_alpha, r.depth);
    const auto lqb = io::encode_png(p.lq, p.lq_alpha, r.depth);
    EXPECT_EQ(std::string(hq.begin(), hq.end()), a.at("hq/" + std::string(name) + ".png")) << name;
    EXPECT_EQ(std::string(lqb.begin(), lqb.end()), a.at("lq/" + std::string(name) + ".png"))
        << name;
  }
}

}  // namespace
}  // namespace pf::degrade

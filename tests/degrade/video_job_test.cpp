// Video inputs to the pair writer: frame names, selection, following frames for inter-frame
// codecs, determinism across thread counts, replay of a video frame, truncated files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/interrupt.h"
#include "degrade/job.h"
#include "degrade/manifest.h"
#include "degrade/pair_maker.h"
#include "io/video_writer.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf::degrade {
namespace {

// 24 frames of a moving textured pattern, 64x48, lossless.
std::string make_clip(const test::TempDir& dir) {
  fs::create_directories(dir / "in");
  const std::string path = dir / "in/clip.mkv";
  io::VideoWriterOptions o;
  o.codec = "ffv1";
  o.pix_fmt = "yuv444p";
  io::VideoWriter w(path, 64, 48, o);
  const cv::Mat base = test::textured_image(96, 48, 9);
  for (int i = 0; i < 24; ++i) w.write(base(cv::Rect(i, 0, 64, 48)).clone());
  w.finish();
  return path;
}

JobSummary run(const DegradeConfig& c, const std::string& in, const std::string& out, int threads) {
  clear_interrupt();
  JobOptions o;
  o.input = in, o.output = out, o.threads = threads;
  return run_degrade_job(c, o);
}

const char* kCodecConfig =
    "scale: 2\nvideo: {every: 6, context_frames: 3}\npipeline:\n"
    "  - blur: {kernel: iso, size: 5, sigma_x: [0.3, 1.2]}\n"
    "  - resize: {to_target: true, algorithm: cv_area}\n"
    "  - codec: {codec: h264, crf: [20, 30], preset: veryfast, frames: 4}\n";

TEST(VideoJob, FramesAreSelectedNamedAndDeterministic) {
  test::TempDir dir;
  make_clip(dir);
  const auto c = DegradeConfig::parse(load_yaml_string(kCodecConfig, "v.yml"));
  EXPECT_EQ(context_frames_needed(c), 3);
  const JobSummary s1 = run(c, dir / "in", dir / "t1", 1);
  EXPECT_EQ(s1.video_frames, 4);  // frames 0, 6, 12, 18
  EXPECT_EQ(s1.pairs_written, 4);
  for (const char* name : {"clip_000000", "clip_000006", "clip_000012", "clip_000018"}) {
    ASSERT_TRUE(fs::exists(dir / ("t1/lq/" + std::string(name) + ".png"))) << name;
    EXPECT_EQ(io::read_image(dir / ("t1/lq/" + std::string(name) + ".png")).rgb.size(),
              cv::Size(32, 24));
  }
  // The codec fed real following frames gives the same bytes with 2 threads, run after run (it
  // did not while x264 used its AVX-512 kernels: codec_test's SmallH264Clips... keeps that clip).
  for (int round = 0; round < 3; ++round) {
    const std::string other = dir / ("t2_" + std::to_string(round));
    run(c, dir / "in", other, 2);
    for (const auto& e : fs::directory_iterator(dir / "t1/lq"))
      EXPECT_TRUE(test::read_file(e.path().string()) ==
                  test::read_file((fs::path(other) / "lq" / e.path().filename()).string()))
          << e.path().filename() << " differs in round " << round;
  }

  // The record keeps the frame number and how many following frames the codec saw.
  const PairRecord r = find_in_manifest(dir / "t1/manifest.jsonl", "clip_000006");
  EXPECT_EQ(r.frame, 6);
  EXPECT_EQ(r.next_frames, 3);
  const RecordedSource src = read_recorded_source(r, "");
  ASSERT_EQ(src.next.size(), 3u);
  const PairOutput p =
      replay_pair(r.steps, r.scale, r.alpha, r.background, src.hq, src.alpha, src.next);
  const auto lq = io::encode_png(p.lq, p.lq_alpha, r.depth);
  EXPECT_EQ(std::string(lq.begin(), lq.end()), test::read_file(dir / "t1/lq/clip_000006.png"));
}

TEST(VideoJob, SameBytesWithOneOrTwoThreads) {
  test::TempDir dir;
  make_clip(dir);
  const auto c = DegradeConfig::parse(load_yaml_string(
      "scale: 2\nvideo: {every: 5}\npipeline:\n"
      "  - blur: {kernel: aniso, size: 7, sigma_x: [0.3, 2], sigma_y: [0.3, 2]}\n"
      "  - noise: {sigma: [1, 10]}\n  - resize: {to_target: true, algorithm: cv_area}\n"
      "  - jpeg: {quality: [40, 90]}\n",
      "v.yml"));
  const JobSummary s = run(c, dir / "in", dir / "t1", 1);
  EXPECT_EQ(s.video_frames, 5);  // 0, 5, 10, 15, 20
  run(c, dir / "in", dir / "t2", 2);
  for (const auto& e : fs::directory_iterator(dir / "t1/lq")) {
    const fs::path other = fs::path(dir / "t2/lq") / e.path().filename();
    EXPECT_TRUE(test::read_file(e.path().string()) == test::read_file(other.string()))
        << e.path().filename() << " differs between 1 and 2 threads";
  }
  // Every frame has its own seed: the sampled chains differ between frames.
  EXPECT_NE(find_in_manifest(dir / "t1/manifest.jsonl", "clip_000005").seed,
            find_in_manifest(dir / "t1/manifest.jsonl", "clip_000010").seed);
}

TEST(VideoJob, NoCodecMeansNoFollowingFramesAndTruncatedFilesStillYieldFrames) {
  test::TempDir dir;
  const std::string clip = make_clip(dir);
  const auto c = DegradeConfig::parse(
      load_yaml_string("scale: 2\npipeline:\n  - resize: {to_target: true}\n", "v.yml"));
  EXPECT_EQ(context_frames_needed(c), 0);
  // Keep the first 60 % of the file.
  const std::string bytes = test::read_file(clip);
  std::ofstream(clip, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), bytes.size() * 6 / 10);
  const JobSummary s = run(c, dir / "in", dir / "out", 2);
  EXPECT_GT(s.pairs_written, 0);
  EXPECT_LT(s.pairs_written, 24);
  EXPECT_EQ(s.unreadable, 0);
}

}  // namespace
}  // namespace pf::degrade

// `pairforge upscale` and `pairforge export` through the real binary: the fixture images
// upscaled tiled match the reference PNGs, folders, alpha, 16-bit PNG, a video, and OpenCV DNN
// running a --static export. Skips when the binary was built without LibTorch.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/image.h"
#include "io/video_reader.h"
#include "io/video_writer.h"
#include "models/fixtures.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

const char* const kCompact = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";

int run_pairforge(const std::string& args) {
  const std::string cmd = std::string(PAIRFORGE_BINARY) + " " + args + " > /dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool binary_has_torch() {
  return run_pairforge("upscale --help") == 0;
}

#define PF_REQUIRE_TORCH_CLI() \
  if (!binary_has_torch()) GTEST_SKIP() << "pairforge was built without LibTorch (no upscale)"

// Max abs difference in 8-bit steps and the fraction of samples that differ.
std::pair<int, double> compare_u8(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max);
  const double differing = cv::countNonZero(diff.reshape(1));
  return {static_cast<int>(max), differing / static_cast<double>(diff.total() * diff.channels())};
}

cv::Mat read_bgr(const std::string& path) {
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
  return m;
}

}  // namespace

TEST(UpscaleCommand, TiledFixtureImagesMatchTheReferencePngs) {
  PF_REQUIRE_TORCH_CLI();
  PF_REQUIRE_FIXTURE(kCompact);
  test::TempDir tmp;
  for (const char* name : {"lineart_concert", "anime_bg_club", "rgba_eileen"}) {
    const auto in = test::fixture(std::string("images/") + name + ".png");
    const auto out = tmp / (std::string(name) + ".png");
    // Tiles of 48 with 18 px of context (Compact's receptive radius): the exact result.
    ASSERT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + in + " -o " + out +
                            " --tile 48 --overlap 18 --batch 2 --device cpu --no-progress"),
              0);
    const auto [max, fraction] = compare_u8(
        read_bgr(out),
        read_bgr(test::fixture(std::string("reference/2x_AnimeJaNai_Standard_V1_Compact/") + name +
                               ".png")));
    EXPECT_LE(max, 1) << name;
    EXPECT_LE(fraction, 0.001) << name;
    std::printf("[ measured ] %s tiled vs reference: max %d, %.4f%% samples differ\n", name, max,
                100 * fraction);
  }
  // The RGBA input keeps an alpha channel, upscaled like the colour.
  const io::Image rgba = io::read_image(tmp / "rgba_eileen.png");
  EXPECT_FALSE(rgba.alpha.empty());
  EXPECT_EQ(rgba.alpha.cols, 2 * 208);
}

TEST(UpscaleCommand, FolderAndSixteenBitPng) {
  PF_REQUIRE_TORCH_CLI();
  PF_REQUIRE_FIXTURE(kCompact);
  test::TempDir tmp;
  fs::create_directories(tmp / "in");
  io::write_png_atomic(tmp / "in/a.png", test::textured_image(40, 30, 1), cv::Mat(), 16);
  test::write_png(tmp / "in/b.png", test::textured_image(33, 21, 2));
  ASSERT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + (tmp / "in") + " -o " +
                          (tmp / "out") + " --no-progress"),
            0);
  const cv::Mat a = cv::imread(tmp / "out/a.png", cv::IMREAD_UNCHANGED);
  const cv::Mat b = cv::imread(tmp / "out/b.png", cv::IMREAD_UNCHANGED);
  EXPECT_EQ(a.depth(), CV_16U) << "16-bit in, 16-bit out";
  EXPECT_EQ(a.size(), cv::Size(80, 60));
  EXPECT_EQ(b.depth(), CV_8U);
  EXPECT_EQ(b.size(), cv::Size(66, 42));
  EXPECT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + (tmp / "missing") +
                          " -o " + (tmp / "x.png")),
            4);
  EXPECT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + (tmp / "in/b.png") +
                          " -o " + (tmp / "x.jpg")),
            3);
  // --cache-mode reaches the upscaler, which keeps it for Real-CUGAN; out of range, the parser
  // refuses it.
  EXPECT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + (tmp / "in/b.png") +
                          " -o " + (tmp / "x.png") + " --cache-mode 3"),
            3);
  EXPECT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + (tmp / "in/b.png") +
                          " -o " + (tmp / "x.png") + " --cache-mode 4"),
            2);  // a bad command line, as README's exit codes say
}

TEST(UpscaleCommand, VideoFramesAreUpscaled) {
  PF_REQUIRE_TORCH_CLI();
  PF_REQUIRE_FIXTURE(kCompact);
  test::TempDir tmp;
  const auto clip = tmp / "clip.mkv";
  {
    io::VideoWriterOptions o;
    o.codec = "ffv1", o.pix_fmt = "bgr0", o.fps = 10;
    io::VideoWriter w(clip, 32, 24, o);
    for (int i = 0; i < 4; ++i) w.write(test::textured_image(32, 24, static_cast<uint64_t>(i)));
  }
  ASSERT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + clip + " -o " +
                          (tmp / "up.mkv") + " --codec ffv1 --pix-fmt bgr0 --no-progress"),
            0);
  io::VideoReader reader(tmp / "up.mkv");
  EXPECT_EQ(reader.width(), 64);
  EXPECT_EQ(reader.height(), 48);
  io::VideoFrame f;
  int frames = 0;
  while (reader.next(f)) ++frames;
  EXPECT_EQ(frames, 4);
}

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe)) out += buf;
  if (pipe) ::pclose(pipe);
  return out;
}

TEST(UpscaleCommand, VideoAudioIsCopied) {
  PF_REQUIRE_TORCH_CLI();
  PF_REQUIRE_FIXTURE(kCompact);
  if (std::system("ffmpeg -version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no ffmpeg CLI";
  test::TempDir tmp;
  const auto clip = tmp / "talk.mkv";
  ASSERT_EQ(std::system(("ffmpeg -v error -f lavfi -i testsrc=size=32x24:rate=10 -f lavfi -i "
                         "sine=frequency=440:sample_rate=8000 -t 0.5 -c:v ffv1 -c:a flac " +
                         clip)
                            .c_str()),
            0);
  ASSERT_EQ(run_pairforge("upscale -m " + test::fixture(kCompact) + " -i " + clip + " -o " +
                          (tmp / "talk_2x.mkv") + " --codec ffv1 --pix-fmt bgr0 --no-progress"),
            0);
  const auto probe = [&](const std::string& file) {
    return capture("ffprobe -v error -show_entries stream=codec_type,codec_name,width -of csv " +
                   file);
  };
  const std::string streams = probe(tmp / "talk_2x.mkv");
  EXPECT_NE(streams.find("video"), std::string::npos) << streams;
  EXPECT_NE(streams.find("64"), std::string::npos) << streams;
  EXPECT_NE(streams.find("flac,audio"), std::string::npos) << streams;
  EXPECT_FALSE(fs::exists(tmp / "talk_2x.video.mkv")) << "the side file is removed";
  // The sound is copied, not re-encoded: the decoded audio is bit-identical.
  const auto audio_md5 = [&](const std::string& file) {
    return capture("ffmpeg -v error -i " + file + " -map 0:a -f md5 -");
  };
  EXPECT_EQ(audio_md5(tmp / "talk_2x.mkv"), audio_md5(clip));
}

TEST(ValidateCommand, TableAndContactSheet) {
  PF_REQUIRE_TORCH_CLI();
  PF_REQUIRE_FIXTURE(kCompact);
  test::TempDir tmp;
  fs::create_directories(tmp / "pairs/hq");
  fs::create_directories(tmp / "pairs/lq");
  // HQ = the model's own reference output: the metrics must say "identical" (within 1 step).
  fs::copy(test::fixture("images/anime_bg_club.png"), tmp / "pairs/lq/club.png");
  fs::copy(test::fixture("reference/2x_AnimeJaNai_Standard_V1_Compact/anime_bg_club.png"),
           tmp / "pairs/hq/club.png");
  const std::string table =
      capture(std::string(PAIRFORGE_BINARY) + " validate -m " + test::fixture(kCompact) +
              " --pairs " + (tmp / "pairs") + " --sheet " + (tmp / "sheet.png") + " --no-progress");
  const auto row = table.find("club.png");
  ASSERT_NE(row, std::string::npos) << table;
  double psnr_rgb = 0, ssim_rgb = 0, psnr_y = 0, ssim_y = 0;
  ASSERT_EQ(std::sscanf(table.c_str() + row + 8, "%lf %lf %lf %lf", &psnr_rgb, &ssim_rgb, &psnr_y,
                        &ssim_y),
            4)
      << table;
  EXPECT_GT(psnr_rgb, 60);
  EXPECT_GT(ssim_rgb, 0.9999);
  EXPECT_NE(table.find("mean"), std::string::npos);
  const cv::Mat sheet = cv::imread(tmp / "sheet.png");
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(sheet.rows, 160 + 4);  // one row of 160 px and its gutter
  EXPECT_GT(sheet.cols, 3 * 160);
}

TEST(ExportCommand, OpenCvDnnRunsAStaticExport) {
  PF_REQUIRE_TORCH_CLI();
  PF_REQUIRE_FIXTURE(kCompact);
  test::TempDir tmp;
  const auto onnx = tmp / "compact.onnx";
  // lineart_concert is 195x131: the static export takes exactly that size.
  ASSERT_EQ(run_pairforge("export -m " + test::fixture(kCompact) + " -o " + onnx +
                          " --static 131x195 --opset 13"),
            0);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx);
  const cv::Mat bgr = cv::imread(test::fixture("images/lineart_concert.png"), cv::IMREAD_COLOR);
  const cv::Mat blob = cv::dnn::blobFromImage(bgr, 1.0 / 255, cv::Size(), cv::Scalar(), true);
  net.setInput(blob, "input");
  const cv::Mat out = net.forward("output");  // 1 x 3 x 262 x 390, RGB
  ASSERT_EQ(out.size[2], 262);
  ASSERT_EQ(out.size[3], 390);
  std::vector<cv::Mat> planes;
  for (int c = 2; c >= 0; --c)  // back to BGR
    planes.emplace_back(262, 390, CV_32F, const_cast<float*>(out.ptr<float>(0, c)));
  cv::Mat merged, u8;
  cv::merge(planes, merged);
  merged.convertTo(u8, CV_8U, 255.0);  // saturating, round to nearest
  const auto [max, fraction] = compare_u8(
      u8,
      read_bgr(test::fixture("reference/2x_AnimeJaNai_Standard_V1_Compact/lineart_concert.png")));
  std::printf("[ measured ] OpenCV DNN static export vs reference PNG: max %d, %.4f%% differ\n",
              max, 100 * fraction);
  EXPECT_LE(max, 1);
  EXPECT_LE(fraction, 0.001);
}

}  // namespace pf

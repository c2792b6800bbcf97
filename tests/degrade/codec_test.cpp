#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/yaml_util.h"
#include "degrade/codec/av_util.h"
#include "degrade/codec/round_trip.h"
#include "degrade/registry.h"
#include "io/image.h"

namespace pf::degrade {
namespace {

// A frame with what codecs struggle with: smooth colour ramps, hard edges, fine sinusoidal
// texture and a little noise, with moderate chroma so 4:2:0 alone does not floor the PSNR (drawn
// from pf::Rng so it is the same everywhere).
cv::Mat test_frame(int w, int h, uint64_t seed = 7) {
  cv::Mat img(h, w, CV_32FC3);
  Rng rng(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double u = static_cast<double>(x) / w, v = static_cast<double>(y) / h;
      const double texture = 0.12 * std::sin(x * 0.9) * std::cos(y * 0.7);
      const double noise = 0.02 * rng.normal();
      img.at<cv::Vec3f>(y, x) =
          cv::Vec3f(static_cast<float>(0.2 + 0.6 * u + texture + noise),
                    static_cast<float>(0.3 + 0.4 * v + texture + noise),
                    static_cast<float>(0.5 + 0.3 * (u - v) + texture + noise));
    }
  cv::rectangle(img, cv::Rect(w / 5, h / 5, w / 4, h / 3), cv::Scalar(0.75, 0.35, 0.3), cv::FILLED);
  cv::circle(img, cv::Point(2 * w / 3, h / 2), h / 5, cv::Scalar(0.3, 0.35, 0.7), cv::FILLED);
  cv::line(img, cv::Point(0, h - 10), cv::Point(w - 1, 5), cv::Scalar(1, 1, 1), 2);
  return cv::min(cv::max(img, 0.0), 1.0);
}

Values with(std::initializer_list<std::pair<const char*, Value>> list) {
  Values v;
  for (const auto& [k, value] : list) v.emplace_back(k, value);
  return v;
}

cv::Mat apply_codec(const cv::Mat& img, const Values& values, uint64_t seed = 1) {
  const OpInfo* info = find_op("codec");
  EXPECT_NE(info, nullptr);
  Pair pair{img.clone(), img.clone(), 1, {}};
  Rng rng(seed);
  info->make()->apply(values, pair, rng);
  return pair.lq;
}

double psnr(const cv::Mat& a, const cv::Mat& b) {
  return cv::PSNR(a, b, 1.0);
}

// Root-mean-square error of the BT.709 chroma (Cb, Cr) between two RGB images.
double chroma_rmse(const cv::Mat& a, const cv::Mat& b) {
  auto chroma = [](const cv::Mat& m) {
    cv::Mat cbcr(m.size(), CV_32FC2);
    m.forEach<cv::Vec3f>([&](const cv::Vec3f& p, const int* pos) {
      const float y = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
      cbcr.at<cv::Vec2f>(pos[0], pos[1]) = {(p[2] - y) / 1.8556f, (p[0] - y) / 1.5748f};
    });
    return cbcr;
  };
  const cv::Mat d = chroma(a) - chroma(b);
  return std::sqrt(cv::mean(d.mul(d))[0] + cv::mean(d.mul(d))[1]);
}

struct EncoderCase {
  const char* codec;
  Values values;
  double min_psnr, max_psnr;  // measured PSNR at this setting (4:2:0) +- 2.5 dB
};

TEST(Codec, EveryEncoderRoundTripsAnOddSizedFrame) {
  const cv::Mat img = test_frame(125, 93);  // odd: exercises the pad-and-crop path
  const std::vector<EncoderCase> cases = {
      {"h264", with({{"crf", 23.0}}), 26.5, 31.5},
      {"h265", with({{"crf", 23.0}, {"preset", std::string("fast")}}), 28, 33},
      {"vp9", with({{"crf", 32.0}, {"cpu_used", int64_t{4}}}), 28, 33},
      {"mpeg2", with({{"qscale", 4.0}}), 28, 33},
      {"mpeg4", with({{"qscale", 4.0}}), 27.5, 32.5},
      {"xvid", with({{"qscale", 4.0}}), 27.5, 32.5},
      {"av1", with({{"crf", 35.0}, {"svt_preset", int64_t{10}}}), 27.5, 32.5},
      {"mjpeg", with({{"qscale", 4.0}}), 27.5, 32.5},
  };
  for (const EncoderCase& c : cases) {
    Values v = c.values;
    v.emplace_back("codec", std::string(c.codec));
    const cv::Mat out = apply_codec(img, v);
    ASSERT_EQ(out.size(), img.size()) << c.codec;
    ASSERT_EQ(out.type(), CV_32FC3) << c.codec;
    const double p = psnr(img, out);
    EXPECT_GT(p, c.min_psnr) << c.codec;
    EXPECT_LT(p, c.max_psnr) << c.codec;
  }
}

TEST(Codec, GrayLqStaysGray) {
  cv::Mat gray;
  cv::cvtColor(test_frame(64, 48), gray, cv::COLOR_RGB2GRAY);
  const cv::Mat out = apply_codec(gray, with({{"codec", std::string("mpeg2")}}));
  ASSERT_EQ(out.type(), CV_32FC1);
  ASSERT_EQ(out.size(), gray.size());
  EXPECT_GT(psnr(gray, out), 28.0);
}

TEST(Codec, PsnrFallsAsQuantiserRises) {
  const cv::Mat img = test_frame(128, 96);
  struct Ladder {
    const char* codec;
    const char* knob;
    std::vector<double> steps;
  };
  const std::vector<Ladder> ladders = {
      {"h264", "crf", {16, 28, 40}},   {"h265", "crf", {16, 28, 40}},
      {"vp9", "crf", {15, 35, 55}},    {"av1", "crf", {15, 35, 55}},
      {"mpeg2", "qscale", {2, 8, 24}}, {"mpeg4", "qscale", {2, 8, 24}},
      {"xvid", "qscale", {2, 8, 24}},  {"mjpeg", "qscale", {2, 8, 24}}};
  for (const Ladder& l : ladders) {
    double previous = 1e9;
    for (double q : l.steps) {
      const double p = psnr(img, apply_codec(img, with({{"codec", std::string(l.codec)},
                                                        {"preset", std::string("fast")},
                                                        {"cpu_used", int64_t{4}},
                                                        {"svt_preset", int64_t{10}},
                                                        {l.knob, q}})));
      EXPECT_LT(p, previous - 1.0) << l.codec << " " << l.knob << "=" << q;
      previous = p;
    }
  }
}

TEST(Codec, ChromaSubsamplingCostsMeasurableChromaError) {
  // Fine colour stripes: 4:2:0 cannot hold them, 4:4:4 can.
  cv::Mat img(96, 128, CV_32FC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      img.at<cv::Vec3f>(y, x) =
          ((x / 2 + y / 3) % 2) ? cv::Vec3f(0.8f, 0.2f, 0.3f) : cv::Vec3f(0.2f, 0.4f, 0.8f);
  auto chroma_error = [&](const char* codec, const char* fmt) {
    return chroma_rmse(img, apply_codec(img, with({{"codec", std::string(codec)},
                                                   {"pix_fmt", std::string(fmt)},
                                                   {"crf", 12.0},
                                                   {"qscale", 2.0}})));
  };
  for (const char* codec : {"h264", "h265", "vp9", "mjpeg"}) {
    const double e420 = chroma_error(codec, "yuv420p"), e444 = chroma_error(codec, "yuv444p");
    EXPECT_GT(e420, 5.0 * e444) << codec << ": 4:2:0 " << e420 << " vs 4:4:4 " << e444;
  }
}

TEST(Codec, TenBitPathKeepsFinerLevels) {
  // A shallow ramp spanning about 6 8-bit code values: 8-bit bands it, 10-bit keeps ~4x the steps.
  cv::Mat img(64, 256, CV_32FC3);
  for (int x = 0; x < img.cols; ++x) img.col(x).setTo(cv::Scalar::all(0.40 + 0.025 * x / img.cols));
  auto distinct_greens = [&](const char* codec, const char* fmt) {
    const cv::Mat out = apply_codec(img, with({{"codec", std::string(codec)},
                                               {"pix_fmt", std::string(fmt)},
                                               {"crf", 4.0},
                                               {"cpu_used", int64_t{4}}}));
    std::set<int> levels;
    for (int x = 0; x < out.cols; ++x)
      levels.insert(std::lround(out.at<cv::Vec3f>(32, x)[1] * 4092));
    return levels.size();
  };
  for (const char* codec : {"h264", "h265", "vp9"}) {
    const size_t l8 = distinct_greens(codec, "yuv420p"), l10 = distinct_greens(codec, "yuv420p10");
    EXPECT_GE(l10, 3 * l8) << codec << ": 8-bit " << l8 << " levels, 10-bit " << l10;
  }
}

TEST(Codec, SameSeedSameBytesAcrossEncoders) {
  const cv::Mat img = test_frame(96, 64);
  for (const char* codec : {"h264", "h265", "vp9", "av1", "mpeg4", "xvid"}) {
    const Values v = with({{"codec", std::string(codec)},
                           {"frames", int64_t{4}},
                           {"frame", int64_t{2}},
                           {"pan", 2.0},
                           {"svt_preset", int64_t{10}},
                           {"cpu_used", int64_t{4}}});
    const cv::Mat a = apply_codec(img, v, 42), b = apply_codec(img, v, 42);
    ASSERT_EQ(a.total(), b.total());
    EXPECT_EQ(std::memcmp(a.data, b.data, a.total() * a.elemSize()), 0) << codec;
    const cv::Mat c = apply_codec(img, v, 43);  // other pans => other residue
    EXPECT_GT(cv::norm(a, c, cv::NORM_INF), 0.0) << codec;
  }
}

TEST(Codec, SmallH264ClipsGiveTheSameBytesRunAfterRun) {
  // tests/data/codec/x264_small_clip_*.png: the 32x24 LQ clip (time-reversed following frames,
  // then the frame itself) of a video-source pair from tests/degrade/video_job_test.cpp, stored
  // as 16-bit PNG, which is exactly what the op hands swscale. With x264's AVX-512 kernels 8 runs
  // in 100 of it came out different (another I-frame QP); the round trip leaves them out.
  std::vector<cv::Mat> clip;
  for (int i = 0; i < 3; ++i) {
    const std::string path = std::string(PAIRFORGE_SOURCE_DIR) +
                             "/tests/data/codec/x264_small_clip_" + std::to_string(i) + ".png";
    const io::Image img = io::read_image(path);
    ASSERT_EQ(img.rgb.size(), cv::Size(32, 24)) << path;
    clip.push_back(img.rgb);
  }
  codec::EncoderSetup s;
  s.encoder = "libx264";
  s.options = {{"crf", "26.708032"}, {"preset", "veryfast"}, {"profile", "high"}};
  const cv::Mat first = codec::round_trip(clip, 2, s);
  int differing = 0;
  for (int run = 0; run < 100; ++run)
    differing += cv::norm(first, codec::round_trip(clip, 2, s), cv::NORM_INF) > 0;
  EXPECT_EQ(differing, 0) << "of 100 runs";
}

TEST(Codec, EveryEncoderGivesTheSameBytesRunAfterRunOnTinyFrames) {
  // Tiny LQ frames are padded for the encoders (x265 to 128 px: padded only to 64x64, a 24x16
  // clip came out as up to 17 different bitstreams in 100 runs). 12 runs each must agree.
  for (const char* codec : {"h264", "h265", "vp9", "mpeg2", "mpeg4", "xvid", "av1", "mjpeg"})
    for (const cv::Size size : {cv::Size(24, 16), cv::Size(48, 32)}) {
      const Values v = with({{"codec", std::string(codec)},
                             {"pix_fmt", std::string("yuv422p")},
                             {"range", std::string("full")},
                             {"chroma_scaler", std::string("gauss")},
                             {"accurate_rnd", true},
                             {"rgb_bits", std::string("8")},
                             {"frames", int64_t{4}},
                             {"frame", int64_t{1}},
                             {"pan", 2.4},
                             {"zoom", 0.04},
                             {"crf", 15.0},
                             {"preset", std::string("veryfast")},
                             {"svt_preset", int64_t{12}},
                             {"cpu_used", int64_t{7}}});
      const cv::Mat lq = test_frame(size.width, size.height, 4);
      const cv::Mat first = apply_codec(lq, v, 1234);
      int differing = 0;
      for (int run = 1; run < 12; ++run)
        differing += cv::norm(first, apply_codec(lq, v, 1234), cv::NORM_INF) > 0;
      EXPECT_EQ(differing, 0) << codec << " at " << size << ", of 11 runs";
    }
}

TEST(Codec, ConcurrentRunsGiveTheSameBytes) {
  // Apply is const and keeps no shared state: two threads at once match a lone run.
  const cv::Mat img = test_frame(96, 64);
  const std::vector<Values> settings = {
      with({{"codec", std::string("h265")}, {"preset", std::string("fast")}}),
      with({{"codec", std::string("vp9")}, {"cpu_used", int64_t{4}}}),
      with({{"codec", std::string("av1")}, {"svt_preset", int64_t{10}}})};
  for (const Values& v : settings) {
    const cv::Mat alone = apply_codec(img, v, 9);
    cv::Mat a, b;
    std::thread ta([&] { a = apply_codec(img, v, 9); }), tb([&] { b = apply_codec(img, v, 9); });
    ta.join();
    tb.join();
    EXPECT_EQ(cv::norm(alone, a, cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(alone, b, cv::NORM_INF), 0.0);
  }
}

TEST(Codec, InterFrameDiffersFromKeyframe) {
  const cv::Mat img = test_frame(128, 96);
  const Values common =
      with({{"codec", std::string("h264")}, {"crf", 30.0}, {"frames", int64_t{5}}});
  Values key = common, inter = common;
  key.emplace_back("frame", int64_t{0});
  inter.emplace_back("frame", int64_t{4});
  const cv::Mat k = apply_codec(img, key), p = apply_codec(img, inter);
  EXPECT_GT(cv::norm(k, p, cv::NORM_L2) / std::sqrt(static_cast<double>(k.total())), 1e-3);
  EXPECT_GT(psnr(img, p), 25.0);  // still the same picture: aligned with HQ
}

TEST(Codec, VideoSourceUsesTheRealNeighbours) {
  const cv::Mat img = test_frame(128, 96);
  Pair still{img.clone(), img.clone(), 1, {}};
  Pair video{img.clone(), img.clone(), 1, {}};
  // Real next frames at twice lq's size (HQ size): the op brings them to lq's size.
  for (int i = 1; i <= 3; ++i) video.next_frames.push_back(test_frame(256, 192, 7 + i));
  cv::Mat neighbour;
  cv::resize(video.next_frames[0], neighbour, img.size(), 0, 0, cv::INTER_AREA);
  const Values v = with({{"codec", std::string("h264")},
                         {"crf", 30.0},
                         {"frame", int64_t{3}},
                         {"pan", 0.0},
                         {"zoom", 0.0}});
  const OpInfo* info = find_op("codec");
  Rng r1(5), r2(5);
  info->make()->apply(v, still, r1);
  info->make()->apply(v, video, r2);
  ASSERT_EQ(video.lq.size(), img.size());
  // The returned frame is lq's (aligned with HQ), coded against the real neighbours.
  EXPECT_GT(psnr(img, video.lq), psnr(neighbour, video.lq) + 5.0);
  EXPECT_GT(cv::norm(still.lq, video.lq, cv::NORM_INF), 0.01);
}

TEST(Codec, EncodersWithoutTheFormatGetTheNearestOne) {
  EXPECT_EQ(codec::nearest_pix_fmt("mpeg4", AV_PIX_FMT_YUV444P), AV_PIX_FMT_YUV420P);
  // FFmpeg's own pick (the ffmpeg CLI's too) prefers 4:2:0 over 4:2:2 for a 4:4:4 request.
  EXPECT_EQ(codec::nearest_pix_fmt("mpeg2video", AV_PIX_FMT_YUV444P), AV_PIX_FMT_YUV420P);
  EXPECT_EQ(codec::nearest_pix_fmt("mpeg2video", AV_PIX_FMT_YUV422P), AV_PIX_FMT_YUV422P);
  EXPECT_EQ(codec::nearest_pix_fmt("libx265", AV_PIX_FMT_YUV422P10), AV_PIX_FMT_YUV422P10);
  EXPECT_EQ(codec::nearest_pix_fmt("libsvtav1", AV_PIX_FMT_YUV444P10), AV_PIX_FMT_YUV420P10);
  const cv::Mat img = test_frame(64, 48);
  const cv::Mat out = apply_codec(
      img, with({{"codec", std::string("xvid")}, {"pix_fmt", std::string("yuv444p10")}}));
  EXPECT_GT(psnr(img, out), 25.0);
}

TEST(Codec, FullAndLimitedRangeBothRoundTrip) {
  const cv::Mat img = test_frame(96, 64);
  for (const char* range : {"limited", "full"})
    for (const char* matrix : {"bt601", "bt709"}) {
      const cv::Mat out = apply_codec(img, with({{"range", std::string(range)},
                                                 {"matrix", std::string(matrix)},
                                                 {"crf", 10.0},
                                                 {"accurate_rnd", true},
                                                 {"full_chroma_int", true}}));
      EXPECT_GT(psnr(img, out), 31.0) << range << " " << matrix;
      // No brightness drift from a range or matrix mix-up.
      EXPECT_NEAR(cv::mean(out)[1], cv::mean(img)[1], 0.01) << range << " " << matrix;
    }
}

// The ffmpeg CLI round-trip of an rgb24 frame through files, the way scripts call it.
cv::Mat cli_round_trip(const cv::Mat& rgb, const std::string& codec_args, const char* format,
                       const std::string& sws_flags) {
  const std::string dir = ::testing::TempDir(), raw = dir + "/pf_codec_in.rgb",
                    coded = dir + "/pf_codec.bits", back = dir + "/pf_codec_out.rgb";
  cv::Mat u8;
  rgb.convertTo(u8, CV_8UC3, 255.0);
  std::ofstream(raw, std::ios::binary)
      .write(reinterpret_cast<const char*>(u8.data), static_cast<std::streamsize>(u8.total() * 3));
  const std::string size = std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows);
  const std::string enc = "ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s " + size + " -i " +
                          raw + " -threads 1 -sws_flags " + sws_flags + " " + codec_args +
                          " -pix_fmt yuv420p -f " + format + " " + coded;
  const std::string dec = "ffmpeg -v error -y -threads 1 -i " + coded + " -sws_flags " + sws_flags +
                          " -f rawvideo -pix_fmt rgb24 " + back;
  if (std::system(enc.c_str()) != 0 || std::system(dec.c_str()) != 0) return {};
  std::ifstream in(back, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() != u8.total() * 3) return {};
  cv::Mat out;
  cv::Mat(rgb.rows, rgb.cols, CV_8UC3, const_cast<char*>(bytes.data()))
      .convertTo(out, CV_32FC3, 1 / 255.0);
  return out;
}

TEST(Codec, MatchesTheFfmpegCliBitForBitWithRgb24) {
  if (std::system("ffmpeg -version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "no ffmpeg CLI (scripts/install-deps.sh installs it)";
  const cv::Mat img = test_frame(96, 64);
  struct Case {
    Values op;
    const char* cli;
    const char* format;
    const char* sws_flags;
  };
  const Values cli_like = with({{"rgb_bits", std::string("8")},
                                {"matrix", std::string("bt601")},
                                {"frames", int64_t{1}},
                                {"frame", int64_t{0}}});
  auto plus = [&](Values v) {
    v.insert(v.end(), cli_like.begin(), cli_like.end());
    return v;
  };
  const std::vector<Case> cases = {
      {plus(with({{"codec", std::string("h264")}, {"crf", 26.0}})), "-c:v libx264 -crf 26", "h264",
       "bicubic"},
      {plus(with({{"codec", std::string("mpeg4")},
                  {"qscale", 5.0},
                  {"accurate_rnd", true},
                  {"full_chroma_int", true}})),
       "-c:v mpeg4 -q:v 5", "m4v", "bicubic+accurate_rnd+full_chroma_int"},
      {plus(with({{"codec", std::string("vp9")}, {"crf", 40.0}, {"cpu_used", int64_t{4}}})),
       "-c:v libvpx-vp9 -crf 40 -b:v 0 -cpu-used 4", "ivf", "bicubic"}};
  for (const Case& c : cases) {
    const cv::Mat cli = cli_round_trip(img, c.cli, c.format, c.sws_flags);
    ASSERT_FALSE(cli.empty()) << c.cli;
    cv::Mat img8;  // the CLI sees the 8-bit frame; so does the op with rgb_bits 8
    img.convertTo(img8, CV_8UC3, 255.0);
    img8.convertTo(img8, CV_32FC3, 1 / 255.0);
    EXPECT_EQ(cv::norm(apply_codec(img8, c.op), cli, cv::NORM_INF), 0.0) << c.cli;
  }
}

TEST(Codec, MissingEncoderListsTheAvailableOnes) {
  try {
    codec::find_video_encoder("libnonexistent265");
    FAIL() << "expected pf::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'libnonexistent265'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("available video encoders"), std::string::npos) << msg;
    EXPECT_NE(msg.find("libx264"), std::string::npos) << msg;
    EXPECT_NE(msg.find("mpeg2video"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace pf::degrade

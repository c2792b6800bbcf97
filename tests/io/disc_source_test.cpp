// Disc sources through VideoReader: sources made here the way discs are mastered
// (tests/disc_sources.h), and what comes out measured: combing, film-frame counts, tone-mapped
// levels against ffmpeg's own chain, crop boxes, exact cuts.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "disc_sources.h"
#include "io/image.h"
#include "io/video_reader.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace pf::io {
namespace {

std::vector<VideoFrame> read_all(const std::string& path, SourceOptions src = {},
                                 FrameSelection sel = {}) {
  VideoReader r(path, sel, src);
  std::vector<VideoFrame> frames;
  VideoFrame f;
  while (r.next(f)) frames.push_back(f);
  return frames;
}

double max_comb(const std::vector<VideoFrame>& frames) {
  double worst = 0;
  for (const auto& f : frames) worst = std::max(worst, test::comb_ratio(f.rgb));
  return worst;
}

double psnr(const cv::Mat& a, const cv::Mat& b) {
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / (a.total() * a.channels());
  return 10 * std::log10(1 / std::max(mse, 1e-12));
}

// The 709 luma of an RGB float frame: its 99th percentile (peak), 1st (black), and the mean
// chroma saturation (max - min over max).
struct Levels {
  double peak, black, saturation;
};
Levels levels(const cv::Mat& rgb) {
  cv::Mat y;
  cv::transform(rgb, y, cv::Matx13f(0.2126f, 0.7152f, 0.0722f));
  std::vector<float> v(y.begin<float>(), y.end<float>());
  std::sort(v.begin(), v.end());
  double sat = 0;
  for (auto it = rgb.begin<cv::Vec3f>(); it != rgb.end<cv::Vec3f>(); ++it) {
    const float hi = std::max({(*it)[0], (*it)[1], (*it)[2]});
    const float lo = std::min({(*it)[0], (*it)[1], (*it)[2]});
    sat += hi > 1e-3f ? (hi - lo) / hi : 0;
  }
  return {v[v.size() * 99 / 100], v[v.size() / 100], sat / rgb.total()};
}

class DiscSource : public ::testing::Test {
 protected:
  void SetUp() override { PF_NEED_FFMPEG(); }
  test::TempDir tmp_;
  std::string at(const std::string& name) { return tmp_ / name; }
};

TEST_F(DiscSource, HardTelecineComesBackAsTheFilmFramesUncombed) {
  const std::string tc = at("telecine.mkv"), film = at("film.mkv");
  test::make_telecine(tc, 2.0);
  test::make_film(film, 2.0);
  SourceOptions raw;
  raw.fields = FieldMode::kProgressive, raw.crop = CropMode::kNone;
  const auto as_coded = read_all(tc, raw);
  ASSERT_EQ(as_coded.size(), 60u);     // 48 film frames pulled down to 60
  EXPECT_GT(max_comb(as_coded), 1.2);  // the pulled-down frames are combed

  VideoReader r(tc);
  EXPECT_EQ(r.report().fields.rfind("ivtc (3:2", 0), 0u) << r.report().fields_evidence;
  EXPECT_NEAR(r.fps(), 24000.0 / 1001, 1e-6);
  const auto out = read_all(tc);
  const auto truth = read_all(film, raw);
  ASSERT_EQ(truth.size(), 48u);
  ASSERT_EQ(out.size(), truth.size());  // every film frame once, no duplicates
  EXPECT_LT(max_comb(out), 0.9);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].index, static_cast<int64_t>(i));
    EXPECT_GT(psnr(out[i].rgb, truth[i].rgb), 32) << "film frame " << i;
  }
}

TEST_F(DiscSource, SoftTelecineGivesTheCodedFilmFrames) {
  const std::string vob = at("soft.vob");
  test::make_soft_telecine(vob, 2.0);
  VideoReader r(vob);
  EXPECT_EQ(r.report().fields.rfind("soft-telecine", 0), 0u) << r.report().fields_evidence;
  EXPECT_NEAR(r.fps(), 24000.0 / 1001, 1e-6);
  const auto out = read_all(vob);
  ASSERT_EQ(out.size(), 48u);
  EXPECT_LT(max_comb(out), 0.9);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].index, static_cast<int64_t>(i));
}

TEST_F(DiscSource, TrueInterlaceIsDeinterlacedWithAWarning) {
  const std::string path = at("interlaced.mkv");
  test::make_interlaced(path, 1.0);
  SourceOptions raw;
  raw.fields = FieldMode::kProgressive;
  EXPECT_GT(max_comb(read_all(path, raw)), 1.2);
  VideoReader r(path);
  EXPECT_EQ(r.report().fields, "deinterlace (bwdif)") << r.report().fields_evidence;
  ASSERT_EQ(r.report().warnings.size(), 1u);
  EXPECT_NE(r.report().warnings[0].find("not clean HQ"), std::string::npos);
  const auto out = read_all(path);
  EXPECT_EQ(out.size(), 30u);  // one frame per interlaced frame
  EXPECT_LT(max_comb(out), 0.9);
}

TEST_F(DiscSource, ProgressiveFilmPassesUntouched) {
  const std::string path = at("film.mkv");
  test::make_film(path, 1.0);
  VideoReader r(path);
  EXPECT_EQ(r.report().fields, "progressive") << r.report().fields_evidence;
  EXPECT_EQ(r.report().filter_chain, "");
  EXPECT_EQ(read_all(path).size(), 24u);
}

// ffmpeg's CLI running the documented chain gives the reference the in-process graph must meet.
cv::Mat cli_tonemapped(const std::string& video, const std::string& dir) {
  const std::string png = dir + "/ref.png";
  test::ffmpeg("-i \"" + video +
               "\" -frames:v 1 -vf \"zscale=transfer=linear:npl=100,format=gbrpf32le,"
               "zscale=primaries=bt709,tonemap=tonemap=hable:desat=0,zscale=transfer=bt709,"
               "format=rgb48le\" \"" +
               png + "\"");
  return read_image(png).rgb;
}

TEST_F(DiscSource, Hdr10IsToneMappedNotWashedOut) {
  const std::string image =
      std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/anime_bg_meadow.jpg";
  const std::string path = at("hdr10.mkv");
  test::make_hdr(path, image, false);
  VideoReader r(path);
  EXPECT_EQ(r.report().transfer, "pq");
  EXPECT_EQ(r.report().hdr_action.rfind("tonemap", 0), 0u);
  EXPECT_EQ(r.report().depth, 16);
  VideoFrame f;
  ASSERT_TRUE(r.next(f));
  const cv::Mat ref = cli_tonemapped(path, tmp_.path());
  EXPECT_GT(psnr(f.rgb, ref), 40);
  const Levels ours = levels(f.rgb);

  SourceOptions keep;
  keep.hdr = HdrMode::kKeep;
  VideoReader k(path, {}, keep);
  VideoFrame pq;
  ASSERT_TRUE(k.next(pq));
  const Levels washed = levels(pq.rgb);  // PQ code values shown as if SDR
  EXPECT_GT(ours.peak, washed.peak + 0.1);
  EXPECT_LT(ours.black, washed.black);
  EXPECT_GT(ours.saturation, washed.saturation * 1.3);
  EXPECT_EQ(k.png_tags().has_cicp, true);
  EXPECT_EQ(k.png_tags().cicp[1], 16);  // PQ
}

TEST_F(DiscSource, HlgIsToneMappedToo) {
  const std::string image =
      std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/anime_bg_meadow.jpg";
  const std::string path = at("hlg.mkv");
  test::make_hdr(path, image, true);
  VideoReader r(path);
  EXPECT_EQ(r.report().transfer, "hlg");
  VideoFrame f;
  ASSERT_TRUE(r.next(f));
  EXPECT_GT(psnr(f.rgb, cli_tonemapped(path, tmp_.path())), 40);
  SourceOptions keep;
  keep.hdr = HdrMode::kKeep;
  EXPECT_EQ(VideoReader(path, {}, keep).png_tags().cicp[1], 18);  // HLG
}

TEST_F(DiscSource, BarsAreCroppedWithOneBoxPerVideo) {
  const std::string letterbox = at("letterbox.mkv"), pillarbox = at("pillarbox.mkv");
  // 2.39:1 inside 16:9, and 4:3 inside 16:9.
  test::ffmpeg(test::film(640, 268, "24", 1.0) +
               " -vf pad=640:360:0:46:black -c:v libx264 -preset ultrafast -crf 16 \"" + letterbox +
               "\"");
  test::ffmpeg(test::film(480, 360, "24", 1.0) +
               " -vf pad=640:360:80:0:black -c:v libx264 -preset ultrafast -crf 16 \"" + pillarbox +
               "\"");
  VideoReader l(letterbox);
  EXPECT_EQ(l.report().crop.width, 640);
  EXPECT_NEAR(l.report().crop.height, 268, 2);
  EXPECT_NEAR(l.report().crop.y, 46, 2);
  const auto frames = read_all(letterbox);
  ASSERT_EQ(frames.size(), 24u);
  for (const auto& f : frames) {
    ASSERT_EQ(f.rgb.cols, l.report().crop.width);
    ASSERT_EQ(f.rgb.rows, l.report().crop.height);
    // No black row left at the top or bottom.
    EXPECT_GT(cv::mean(f.rgb.row(0))[0] + cv::mean(f.rgb.row(0))[1], 0.1);
    EXPECT_GT(cv::mean(f.rgb.row(f.rgb.rows - 1))[1], 0.05);
  }
  VideoReader p(pillarbox);
  EXPECT_NEAR(p.report().crop.width, 480, 2);
  EXPECT_EQ(p.report().crop.height, 360);
  EXPECT_NEAR(p.report().crop.x, 80, 2);
  SourceOptions none;
  none.crop = CropMode::kNone;
  EXPECT_EQ(VideoReader(pillarbox, {}, none).width(), 640);
  SourceOptions manual;
  parse_crop("320:200:10:20", manual);
  const auto m = read_all(pillarbox, manual);
  EXPECT_EQ(m.at(0).rgb.size(), cv::Size(320, 200));
  parse_crop("640:200:10:20", manual);
  EXPECT_THROW(VideoReader(pillarbox, {}, manual), InputError);
}

TEST_F(DiscSource, AnamorphicPixelsAreKeptAndReportedOrSquared) {
  const std::string path = at("dvd.mpg");
  test::ffmpeg(test::film(720, 480, "30000/1001", 0.5) + " -c:v mpeg2video -q:v 2 -aspect 16:9 \"" +
               path + "\"");
  VideoReader keep(path);
  EXPECT_EQ(keep.report().sar_num, 32);
  EXPECT_EQ(keep.report().sar_den, 27);
  EXPECT_EQ(keep.width(), 720);
  EXPECT_EQ(keep.png_tags().aspect_x, 32u);
  EXPECT_EQ(keep.png_tags().aspect_y, 27u);
  SourceOptions square;
  square.sar = SarMode::kSquare;
  const auto frames = read_all(path, square);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].rgb.size(), cv::Size(854, 480));  // 720 * 32/27 = 853.3, even
  EXPECT_EQ(VideoReader(path, {}, square).png_tags().aspect_x, 0u);
}

TEST_F(DiscSource, CutsOnM2tsAreFrameExact) {
  const std::string path = at("clip.m2ts");
  // 1 s GOPs, B-frames, an audio track: as a Blu-ray stream is laid out.
  test::ffmpeg(test::film(320, 180, "24000/1001", 6.0) +
               " -f lavfi -i \"sine=frequency=440:duration=6.5\" -c:v libx264 -preset ultrafast "
               "-bf 3 -g 24 -crf 18 -c:a ac3 -f mpegts -mpegts_m2ts_mode 1 \"" +
               path + "\"");
  SourceOptions raw;
  raw.crop = CropMode::kNone;
  VideoReader all(path, {}, raw);
  std::vector<VideoFrame> full;
  for (VideoFrame f; all.next(f);) full.push_back(f);
  ASSERT_EQ(full.size(), 144u);
  EXPECT_EQ(all.warnings(), 0);  // audio outlasting video is not truncation
  for (const auto& [start, end] : {std::pair{3.0, 4.0}, {0.5, 1.0}, {2.2, 2.6}}) {
    FrameSelection sel;
    sel.start_s = start, sel.end_s = end;
    const auto cut = read_all(path, raw, sel);
    const auto first = std::llround(start * 24000 / 1001), last = std::llround(end * 24000 / 1001);
    ASSERT_EQ(cut.size(), static_cast<size_t>(last - first)) << start;
    for (const auto& f : cut) {
      ASSERT_EQ(f.index, first + (&f - &cut[0]));
      EXPECT_EQ(cv::norm(f.rgb, full[f.index].rgb, cv::NORM_INF), 0) << f.index;
    }
  }
}

TEST_F(DiscSource, IvtcCutsNameAndDecodeTheSameFilmFrames) {
  const std::string path = at("telecine.ts");
  test::make_telecine(path, 3.0);
  const auto full = read_all(path);
  ASSERT_EQ(full.size(), 72u);
  FrameSelection sel;
  sel.start_s = 1.3, sel.end_s = 2.2;
  const auto cut = read_all(path, {}, sel);
  ASSERT_FALSE(cut.empty());
  EXPECT_EQ(cut.front().index, std::llround(1.3 * 24000 / 1001));
  for (const auto& f : cut) EXPECT_EQ(cv::norm(f.rgb, full.at(f.index).rgb, cv::NORM_INF), 0);
}

// A slow pan over one picture: a shot.
std::string shot(const std::string& image, const std::string& grade = "") {
  return "-f lavfi -i \"color=size=320x180:rate=24:duration=0.5[bg];movie='" +
         std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/" + image + "',scale=640:-2" +
         grade + "[pic];[bg][pic]overlay=x='-48*t':y=(main_h-overlay_h)/2[out0]\" ";
}

TEST_F(DiscSource, SceneScoreIsFfmpegs) {
  const std::string path = at("cuts.mkv");
  // Three shots of 12 frames: day, a dim interior, a bright landscape.
  test::ffmpeg(shot("anime_bg_meadow.jpg") + shot("anime_bg_club.jpg", ",eq=brightness=-0.35") +
               shot("photo_mountain.jpg") +
               "-filter_complex \"[0][1][2]concat=n=3\" -c:v libx264 -preset ultrafast -crf 16 \"" +
               path + "\"");
  // ffmpeg's own scores for the same frames (scdet, as select's `scene` computes them, x100).
  const std::string scores = at("scores.csv");
  ASSERT_EQ(
      std::system(("ffprobe -v error -f lavfi \"movie=" + path +
                   ",scdet\" -show_entries frame_tags=lavfi.scd.score -of csv=p=0 > " + scores)
                      .c_str()),
      0);
  std::vector<double> reference;
  std::ifstream in(scores);
  for (double v; in >> v;) reference.push_back(v / 100);
  ASSERT_EQ(reference.size(), 36u);

  FrameSelection sel;
  sel.scene_threshold = 1e-9;  // every frame that changed at all, with its score
  SourceOptions raw;
  raw.crop = CropMode::kNone;
  const auto all = read_all(path, raw, sel);
  ASSERT_GT(all.size(), 30u);
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_NEAR(all[i].scene_score, reference.at(all[i].index), 1e-3) << all[i].index;

  const auto cuts = [&](double threshold) {
    sel.scene_threshold = threshold;
    std::vector<int64_t> idx;
    for (const auto& f : read_all(path, raw, sel)) idx.push_back(f.index);
    return idx;
  };
  EXPECT_EQ(cuts(0.15), (std::vector<int64_t>{0, 12, 24}));
  EXPECT_EQ(cuts(0.3), (std::vector<int64_t>{0, 12}));  // only the cut into the dim interior
}

}  // namespace
}  // namespace pf::io

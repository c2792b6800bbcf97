// `pairforge frames` and `degrade -i` on disc-like sources made with the ffmpeg CLI: exit codes,
// frames.json, the PNG chunks that carry pixel aspect and HDR coding, exact cuts, VOB folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "disc_sources.h"
#include "io/image.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The data of a PNG's first chunk of `type`, "" when it has none.
std::string png_chunk(const fs::path& png, const char* type) {
  const std::string b = slurp(png);
  for (size_t at = 8; at + 12 <= b.size();) {
    const auto u = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
    const size_t length = (size_t{u(at)} << 24) | (u(at + 1) << 16) | (u(at + 2) << 8) | u(at + 3);
    if (b.compare(at + 4, 4, type) == 0) return b.substr(at + 8, length);
    at += 12 + length;
  }
  return "";
}

nlohmann::json frames_json(const fs::path& dir) {
  return nlohmann::json::parse(slurp(dir / "frames.json"));
}

class FramesDisc : public ::testing::Test {
 protected:
  void SetUp() override { PF_NEED_FFMPEG(); }
  test::TempDir tmp_;
  fs::path dir_ = tmp_.path();
  test::CliResult frames(const std::string& args) {
    return test::run_pairforge("frames " + args + " --threads 2");
  }
};

TEST_F(FramesDisc, M2tsWithLongerAudioCutsExactlyAndExitsZero) {
  const std::string src = (dir_ / "ep.m2ts").string();
  test::ffmpeg(test::film(320, 180, "24000/1001", 4.0) +
               " -f lavfi -i \"sine=duration=4.5\" -c:v libx264 -preset ultrafast -bf 3 -g 24 "
               "-crf 18 -c:a ac3 -f mpegts -mpegts_m2ts_mode 1 \"" +
               src + "\"");
  const auto all = frames(src + " -o " + (dir_ / "all").string());
  ASSERT_EQ(all.code, 0) << all.output;
  EXPECT_EQ(all.output.find("truncated"), std::string::npos) << all.output;
  const auto meta = frames_json(dir_ / "all");
  ASSERT_EQ(meta["frames"].size(), 96u);
  EXPECT_EQ(meta["png_depth"], 8);  // 8-bit H.264: 8-bit PNGs
  EXPECT_EQ(meta["source"]["fields"], "progressive");
  EXPECT_EQ(io::read_image((dir_ / "all" / "ep_000000.png").string()).bit_depth, 8);

  const auto cut = frames(src + " --start 2 --end 3 -o " + (dir_ / "cut").string());
  ASSERT_EQ(cut.code, 0) << cut.output;
  const auto cut_meta = frames_json(dir_ / "cut");
  ASSERT_EQ(cut_meta["frames"].size(), 24u);
  EXPECT_EQ(cut_meta["frames"][0]["name"], "ep_000048.png");
  for (const auto& f : cut_meta["frames"]) {
    const std::string name = f["name"];
    EXPECT_EQ(slurp(dir_ / "cut" / name), slurp(dir_ / "all" / name)) << name;
  }
}

TEST_F(FramesDisc, TelecinedTransportStreamIsWrittenAsFilmFrames) {
  const std::string src = (dir_ / "tc.ts").string();
  test::make_telecine(src, 2.0);
  const auto r = frames(src + " -o " + (dir_ / "out").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ivtc"), std::string::npos) << r.output;
  const auto meta = frames_json(dir_ / "out");
  EXPECT_EQ(meta["frames"].size(), 48u);
  EXPECT_NE(meta["source"]["filter_chain"].get<std::string>().find("fieldmatch"),
            std::string::npos);
  EXPECT_NE(meta["source"]["fields_evidence"].get<std::string>().find("idet"), std::string::npos);
  double worst = 0;
  for (const auto& f : meta["frames"])
    worst = std::max(
        worst, test::comb_ratio(
                   io::read_image((dir_ / "out" / f["name"].get<std::string>()).string()).rgb));
  EXPECT_LT(worst, 0.9);
}

TEST_F(FramesDisc, AnamorphicDvdFramesCarryTheirAspectInPhys) {
  const std::string src = (dir_ / "VTS_01_1.VOB").string();
  test::ffmpeg(test::film(720, 480, "30000/1001", 0.4) +
               " -c:v mpeg2video -q:v 2 -aspect 16:9 -f vob \"" + src + "\"");
  const auto r = frames(src + " -o " + (dir_ / "keep").string());
  ASSERT_EQ(r.code, 0) << r.output;
  const auto meta = frames_json(dir_ / "keep");
  EXPECT_EQ(meta["source"]["sar"], "32:27");
  const std::string first = meta["frames"][0]["name"];
  const std::string phys = png_chunk(dir_ / "keep" / first, "pHYs");
  ASSERT_EQ(phys.size(), 9u);
  EXPECT_EQ(phys, std::string("\0\0\0\x20\0\0\0\x1b\0", 9));  // 32:27, unit unknown
  const auto sq = frames(src + " --sar square -o " + (dir_ / "square").string());
  ASSERT_EQ(sq.code, 0) << sq.output;
  const auto img = io::read_image((dir_ / "square" / first).string());
  EXPECT_EQ(img.rgb.cols, 854);
  EXPECT_EQ(png_chunk(dir_ / "square" / first, "pHYs"), "");
}

TEST_F(FramesDisc, HdrKeptIsSixteenBitAndTaggedCicp) {
  const std::string src = (dir_ / "uhd.mkv").string();
  test::make_hdr(src, std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/anime_bg_club.jpg",
                 false);
  const auto keep = frames(src + " --hdr keep --end 0.1 -o " + (dir_ / "keep").string());
  ASSERT_EQ(keep.code, 0) << keep.output;
  const fs::path png = dir_ / "keep" / "uhd_000000.png";
  EXPECT_EQ(io::read_image(png.string()).bit_depth, 16);
  EXPECT_EQ(png_chunk(png, "cICP"), std::string("\x09\x10\x00\x01", 4));  // BT.2020, PQ, RGB, full
  const auto tm = frames(src + " --end 0.1 -o " + (dir_ / "tm").string());
  ASSERT_EQ(tm.code, 0) << tm.output;
  EXPECT_EQ(png_chunk(dir_ / "tm" / "uhd_000000.png", "cICP"), "");
  EXPECT_NE(frames_json(dir_ / "tm")["source"]["hdr"].get<std::string>().find("hable"),
            std::string::npos);
}

TEST_F(FramesDisc, BadSourceOptionsAndDamagedFilesGiveTheirExitCodes) {
  const std::string src = (dir_ / "a.mkv").string();
  test::make_film(src, 0.5);
  auto r = frames(src + " --fields weave -o " + (dir_ / "x").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("valid: auto, progressive, ivtc, deinterlace"), std::string::npos)
      << r.output;
  r = frames(src + " --crop 100:100:5000:0 -o " + (dir_ / "y").string());
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.output.find("a.mkv"), std::string::npos) << r.output;
  // A copy cut short: the frames that decode, a warning, exit 7.
  const std::string big = (dir_ / "long.ts").string(), cut = (dir_ / "cut.ts").string();
  test::ffmpeg(test::film(320, 180, "24", 3.0) + " -c:v libx264 -preset ultrafast \"" + big + "\"");
  const std::string bytes = slurp(big);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  r = frames(cut + " -o " + (dir_ / "z").string());
  EXPECT_EQ(r.code, 7) << r.output;
}

TEST_F(FramesDisc, DegradeReadsAFolderOfVobAndMpgAndReplaysItsPairs) {
  fs::create_directories(dir_ / "disc");
  test::ffmpeg(test::film(352, 240, "30000/1001", 0.3) + " -c:v mpeg2video -q:v 2 -f vob \"" +
               (dir_ / "disc" / "VTS_01_1.VOB").string() + "\"");
  test::ffmpeg(test::film(352, 240, "25", 0.3) + " -c:v mpeg2video -q:v 2 \"" +
               (dir_ / "disc" / "extra.mpg").string() + "\"");
  std::ofstream(dir_ / "c.yml") << "scale: 2\nvideo: {every: 4, fields: auto, crop: none}\n"
                                   "pipeline:\n  - resize: {to_target: true, algorithm: cubic}\n";
  const auto r = test::run_pairforge("degrade -c " + (dir_ / "c.yml").string() + " -i " +
                                     (dir_ / "disc").string() + " -o " + (dir_ / "out").string() +
                                     " --no-progress");
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream manifest(dir_ / "out" / "manifest.jsonl");
  std::string line;
  int records = 0;
  std::string name;
  while (std::getline(manifest, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["video_source"]["crop"], "none");
    EXPECT_EQ(j["video_source"]["found"]["fields"], "progressive");  // what the reader decided
    EXPECT_EQ(j["video_source"]["found"]["sar"], "1:1");
    name = j["name"];
    ++records;
  }
  EXPECT_GE(records, 4);  // every 4th frame of each video
  const auto replay =
      test::run_pairforge("degrade --replay " + (dir_ / "out" / "manifest.jsonl").string() +
                          " --pair " + name + " -o " + (dir_ / "re").string());
  ASSERT_EQ(replay.code, 0) << replay.output;
  EXPECT_EQ(slurp(dir_ / "re" / "lq" / (name + ".png")),
            slurp(dir_ / "out" / "lq" / (name + ".png")));
  std::ofstream(dir_ / "bad.yml") << "scale: 2\nvideo: {fields: weave}\npipeline: []\n";
  const auto bad = test::run_pairforge("degrade -c " + (dir_ / "bad.yml").string() + " -i " +
                                       (dir_ / "disc").string() + " -o " + (dir_ / "o2").string());
  EXPECT_EQ(bad.code, 3);
  EXPECT_NE(bad.output.find("bad.yml:2:"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace pf

// Short sources made the way discs and broadcasts are mastered, with the ffmpeg CLI (installed by
// scripts/install-deps.sh): 3:2 telecined film coded as interlaced H.264, soft telecine
// (pulldown flags), true interlace, HDR10 and HLG HEVC, letterbox and pillarbox, anamorphic
// MPEG-2, M2TS with an audio track that outlasts the video. And the measures the tests use on
// what comes out: combing and luma levels.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <string>

namespace pf::test {

inline bool have_ffmpeg() {
  return std::system("ffmpeg -hide_banner -version > /dev/null 2>&1") == 0;
}

#define PF_NEED_FFMPEG()                                                     \
  do {                                                                       \
    if (!::pf::test::have_ffmpeg())                                          \
      GTEST_SKIP() << "the ffmpeg CLI is missing (scripts/install-deps.sh)"; \
  } while (0)

// Runs `ffmpeg -v error -y ARGS`; fails the test when it does not succeed.
inline void ffmpeg(const std::string& args) {
  const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y " + args;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// Film-like content: a real picture (a bundled sample frame, twice the width) panning across
// the frame, so every frame differs everywhere with natural detail, as camera pans do. (Synthetic
// patterns with sharp horizontal lines fool idet into seeing fields in progressive frames.)
inline std::string film(int w, int h, const char* rate, double seconds,
                        const std::string& image = std::string(PAIRFORGE_SOURCE_DIR) +
                                                   "/datasets/samples/anime_bg_meadow.jpg") {
  const std::string W = std::to_string(w), H = std::to_string(h), S = std::to_string(seconds);
  return "-f lavfi -i \"color=size=" + W + "x" + H + ":rate=" + rate + ":duration=" + S +
         "[bg];movie='" + image + "',scale=" + std::to_string(2 * w) +
         ":-2[pic];[bg][pic]overlay=x='-" + W + "*t/" + S + "':y=(main_h-overlay_h)/2[out0]\"";
}

inline const char* kInterlacedH264 =
    " -c:v libx264 -preset ultrafast -crf 14 -flags +ilme+ildct -x264opts tff=1 -pix_fmt yuv420p ";

// 24000/1001 film, 3:2 pulled down to 30000/1001 interlaced frames (hard telecine).
inline void make_telecine(const std::string& out, double seconds, int w = 352, int h = 240) {
  ffmpeg(film(w, h, "24000/1001", seconds) + " -vf telecine=first_field=top:pattern=23" +
         kInterlacedH264 + "\"" + out + "\"");
}

// The film frames themselves, as progressive video: what IVTC must give back.
inline void make_film(const std::string& out, double seconds, int w = 352, int h = 240) {
  ffmpeg(film(w, h, "24000/1001", seconds) +
         " -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p \"" + out + "\"");
}

// Soft telecine as DVDs carry it, the way DGPulldown makes it: film frames coded as progressive
// MPEG-2 pictures (no B-frames, so coded order is display order), then the sequence header says
// 30000/1001 and each picture's top_field_first / repeat_first_field flags follow the 3:2
// cadence, so a player shows 3, 2, 3, 2 fields of successive film frames.
inline void make_soft_telecine(const std::string& out, double seconds, int w = 352, int h = 240) {
  const std::string m2v = out + ".film.m2v";
  ffmpeg(film(w, h, "24000/1001", seconds) + " -c:v mpeg2video -q:v 2 -bf 0 -g 12 \"" + m2v + "\"");
  std::ifstream in(m2v, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int picture = 0;
  for (size_t i = 0; i + 8 < b.size(); ++i) {
    if (b[i] != 0 || b[i + 1] != 0 || b[i + 2] != 1) continue;
    const auto code = static_cast<uint8_t>(b[i + 3]);
    uint8_t* p = reinterpret_cast<uint8_t*>(&b[i + 4]);
    if (code == 0xB3) {
      p[3] = static_cast<uint8_t>((p[3] & 0xF0) | 4);  // frame_rate_code 4: 30000/1001
    } else if (code == 0xB5 && (p[0] >> 4) == 1) {
      p[1] &= static_cast<uint8_t>(~0x08);  // sequence extension: progressive_sequence = 0
    } else if (code == 0xB5 && (p[0] >> 4) == 8) {
      // picture coding extension: (tff, rff) = (1,1) (0,0) (0,1) (1,0), progressive_frame = 1
      static const bool kTff[4] = {true, false, false, true}, kRff[4] = {true, false, true, false};
      const int k = picture++ % 4;
      p[3] = static_cast<uint8_t>((p[3] & ~0x82) | (kTff[k] ? 0x80 : 0) | (kRff[k] ? 0x02 : 0));
      p[4] |= 0x80;
    }
  }
  std::ofstream(m2v, std::ios::binary) << b;
  // (The VOB muxer's buffer-model complaints about a stream this size are noise: -v fatal.)
  ffmpeg("-v fatal -fflags +genpts -i \"" + m2v + "\" -c copy -f vob \"" + out + "\"");
  std::remove(m2v.c_str());
}

// True interlace: 60000/1001 pictures woven two fields a frame.
inline void make_interlaced(const std::string& out, double seconds, int w = 352, int h = 240) {
  ffmpeg(film(w, h, "60000/1001", seconds) + " -vf interlace=scan=tff" + kInterlacedH264 + "\"" +
         out + "\"");
}

// HDR: SDR pictures put into PQ (diffuse white at 203 nits, BT.2100's reference) or HLG, HEVC
// Main10 with the tags a UHD disc has.
inline void make_hdr(const std::string& out, const std::string& image, bool hlg, int w = 320,
                     int h = 180) {
  const std::string trc = hlg ? "arib-std-b67" : "smpte2084";
  ffmpeg("-loop 1 -i \"" + image + "\" -t 0.5 -r 24 -vf \"scale=" + std::to_string(w) + ":" +
         std::to_string(h) +
         ",format=gbrpf32le,zscale=tin=bt709:t=linear:npl=203,zscale=pin=bt709:p=2020:t=" + trc +
         ":m=2020_ncl:npl=203:r=tv,format=yuv420p10le\" -c:v libx265 -x265-params "
         "log-level=error:colorprim=bt2020:transfer=" +
         trc + ":colormatrix=bt2020nc -color_primaries bt2020 -color_trc " + trc +
         " -colorspace bt2020nc \"" + out + "\"");
}

// Mean absolute difference between adjacent lines over that between same-parity lines, on luma:
// about 0.5-0.7 for a clean picture, well above 1 where the fields come from different moments.
inline double comb_ratio(const cv::Mat& rgb) {
  cv::Mat gray;
  cv::Mat f;
  rgb.convertTo(f, CV_32F,
                rgb.depth() == CV_8U    ? 1 / 255.0
                : rgb.depth() == CV_16U ? 1 / 65535.0
                                        : 1);
  cv::cvtColor(f, gray, cv::COLOR_RGB2GRAY);
  double adjacent = 0, same = 0;
  for (int y = 0; y + 2 < gray.rows; ++y) {
    const float* a = gray.ptr<float>(y);
    const float* b = gray.ptr<float>(y + 1);
    const float* c = gray.ptr<float>(y + 2);
    for (int x = 0; x < gray.cols; ++x)
      adjacent += std::abs(a[x] - b[x]), same += std::abs(a[x] - c[x]);
  }
  return same > 0 ? adjacent / same : 0;
}

}  // namespace pf::test

// codec: a lossy video-codec round-trip of LQ (H.264, H.265, VP9, MPEG-2, MPEG-4 ASP, Xvid, AV1,
// MJPEG) through libavcodec/libswscale in memory. A still becomes a short clip with small random
// sub-pixel pans/zoom so the returned P/B frame carries real motion residue; a video source is
// encoded as its real neighbouring frames.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "degrade/codec/round_trip.h"
#include "degrade/op.h"

namespace pf::degrade {

namespace {

struct CodecParams {
  std::string codec;
  std::string pix_fmt, matrix, range, chroma_scaler, rgb_bits;
  bool accurate_rnd, full_chroma_int;
  int frames, frame;
  double pan, zoom;
  double crf;
  std::string preset, tune, profile, x265_params;
  std::string deadline;
  int cpu_used, svt_preset;
  std::string rate_control;
  double qscale, bitrate;
};

// x265 keys that only tune the coding: no key that reads or writes a file (csv, analysis-save,
// qpfile, zonefile, stats, recon, dhdr10-info, lambda-file, scaling-list, ...), none that
// changes threading or logging (fixed below for deterministic output).
// clang-format off
const std::vector<std::string> kX265Keys = {
    "aq-mode", "aq-strength", "aq-motion", "hevc-aq", "qg-size", "psy-rd", "psy-rdoq", "rdoq-level",
    "rd", "rd-refine", "sao", "sao-non-deblock", "selective-sao", "limit-sao", "deblock", "bframes",
    "b-adapt", "b-pyramid", "b-intra", "bframe-bias", "ref", "keyint", "min-keyint", "open-gop",
    "rc-lookahead", "scenecut", "qcomp", "ipratio", "pbratio", "cbqpoffs", "crqpoffs", "qpmin",
    "qpmax", "qpstep", "cutree", "me", "subme", "merange", "max-merge", "weightp", "weightb", "ctu",
    "min-cu-size", "tu-intra-depth", "tu-inter-depth", "limit-tu", "rect", "amp", "limit-modes",
    "limit-refs", "strong-intra-smoothing", "constrained-intra", "tskip", "tskip-fast",
    "early-skip", "rskip", "fast-intra", "nr-intra", "nr-inter", "signhide", "temporal-mvp",
    "cu-lossless", "lossless", "rdpenalty", "splitrd-skip",
};
// clang-format on

const char* encoder_name(const std::string& codec) {
  static const std::pair<const char*, const char*> kEncoders[] = {
      {"h264", "libx264"}, {"h265", "libx265"}, {"vp9", "libvpx-vp9"}, {"mpeg2", "mpeg2video"},
      {"mpeg4", "mpeg4"},  {"xvid", "libxvid"}, {"av1", "libsvtav1"},  {"mjpeg", "mjpeg"}};
  for (const auto& [name, encoder] : kEncoders)
    if (codec == name) return encoder;
  throw Error("codec: unknown codec '" + codec + "'");
}

AVPixelFormat pix_fmt_of(const std::string& name) {
  static const std::pair<const char*, AVPixelFormat> kFormats[] = {
      {"yuv420p", AV_PIX_FMT_YUV420P},     {"yuv422p", AV_PIX_FMT_YUV422P},
      {"yuv444p", AV_PIX_FMT_YUV444P},     {"yuv420p10", AV_PIX_FMT_YUV420P10},
      {"yuv422p10", AV_PIX_FMT_YUV422P10}, {"yuv444p10", AV_PIX_FMT_YUV444P10}};
  for (const auto& [n, f] : kFormats)
    if (name == n) return f;
  throw Error("codec: unknown pix_fmt '" + name + "'");
}

std::string integer_text(double v) {
  return std::to_string(static_cast<int>(std::lround(v)));
}

// Rate control of the MPEG-family encoders: FFmpeg's -q:v or -b:v.
void set_mpeg_rate(const CodecParams& p, codec::EncoderSetup& s) {
  if (p.rate_control == "bitrate")
    s.bit_rate = static_cast<int64_t>(p.bitrate * 1000);
  else
    s.qscale = p.qscale;
}

// The encoder and its private options for one sampled parameter set.
codec::EncoderSetup encoder_setup(const CodecParams& p) {
  codec::EncoderSetup s;
  s.encoder = encoder_name(p.codec);
  s.color.pix_fmt = codec::nearest_pix_fmt(s.encoder, pix_fmt_of(p.pix_fmt));
  s.color.bt709 = p.matrix == "bt709";
  s.color.full_range = p.range == "full";
  s.color.sws_flags = codec::sws_scaler_flag(p.chroma_scaler) |
                      (p.accurate_rnd ? SWS_ACCURATE_RND : 0) |
                      (p.full_chroma_int ? SWS_FULL_CHR_H_INT : 0);
  s.color.rgb8 = p.rgb_bits == "8";
  auto opt = [&](const char* key, std::string value) { s.options.emplace_back(key, value); };
  if (p.codec == "h264") {
    opt("crf", std::to_string(std::min(p.crf, 51.0)));
    opt("preset", p.preset);
    if (p.tune != "none") opt("tune", p.tune);
    // Baseline/main/high cannot carry 4:2:2, 4:4:4, 10-bit or lossless (crf 0); there x264
    // picks the fitting profile itself.
    if (s.color.pix_fmt == AV_PIX_FMT_YUV420P && p.crf > 0) opt("profile", p.profile);
  } else if (p.codec == "h265") {
    opt("crf", std::to_string(std::min(p.crf, 51.0)));
    opt("preset", p.preset);
    // x265 starts worker pools and frame threads by itself; both make its output timing-dependent.
    const std::string fixed = "pools=none:frame-threads=1:log-level=error";
    opt("x265-params", p.x265_params.empty() ? fixed : p.x265_params + ":" + fixed);
  } else if (p.codec == "vp9") {
    opt("crf", integer_text(p.crf));
    opt("deadline", p.deadline);
    opt("cpu-used", std::to_string(p.cpu_used));
  } else if (p.codec == "av1") {
    opt("crf", integer_text(p.crf));
    opt("preset", std::to_string(p.svt_preset));
    opt("svtav1-params", "lp=1");  // one logical processor: deterministic bytes
  } else if (p.codec == "mjpeg") {
    s.qscale = p.qscale;
    s.unofficial = !s.color.full_range;  // limited-range JPEG is non-standard but common in video
  } else {
    set_mpeg_rate(p, s);
  }
  return s;
}

// `lq` moved by a random walk of sub-pixel pans and zoom steps away from frame `pick`, which is
// `lq` itself: the codec then codes `pick` as a P/B frame predicted across real motion.
std::vector<cv::Mat> still_clip(const cv::Mat& lq, int frames, int pick, const CodecParams& p,
                                Rng& rng) {
  std::vector<cv::Mat> clip(static_cast<size_t>(frames));
  clip[pick] = lq;
  const cv::Point2d centre(lq.cols / 2.0, lq.rows / 2.0);
  auto walk = [&](int from, int to, int step) {
    double dx = 0, dy = 0, zoom = 1;
    for (int i = from; i != to; i += step) {
      dx += rng.uniform(-p.pan, p.pan);
      dy += rng.uniform(-p.pan, p.pan);
      zoom *= 1 + rng.uniform(-p.zoom, p.zoom);
      const cv::Matx23d m(zoom, 0, (1 - zoom) * centre.x + dx, 0, zoom, (1 - zoom) * centre.y + dy);
      cv::warpAffine(lq, clip[i], m, lq.size(), cv::INTER_CUBIC, cv::BORDER_REFLECT_101);
    }
  };
  walk(pick - 1, -1, -1);
  walk(pick + 1, frames, 1);
  return clip;
}

// A video source: the real following frames, played backwards so that they lead up to lq and lq
// is coded as an inter frame. They are brought to lq's size with an area resize: the op cannot
// replay the chain that made lq, so the neighbours carry real motion but not lq's other damage.
std::vector<cv::Mat> video_clip(const Pair& pair, const cv::Mat& lq, int before) {
  std::vector<cv::Mat> clip;
  for (int i = before - 1; i >= 0; --i) {
    cv::Mat f = pair.next_frames[i];
    if (f.channels() == 1) cv::cvtColor(f, f, cv::COLOR_GRAY2RGB);
    if (f.size() != lq.size()) cv::resize(f, f, lq.size(), 0, 0, cv::INTER_AREA);
    clip.push_back(f);
  }
  clip.push_back(lq);
  return clip;
}

}  // namespace

class Codec final : public TypedOp<CodecParams, Codec> {
 public:
  static const std::vector<Field<CodecParams>>& table() {
    using P = CodecParams;
    static const std::vector<Field<P>> t = {
        choice<P>("codec", &P::codec, "h264",
                  {"h264", "h265", "vp9", "mpeg2", "mpeg4", "xvid", "av1", "mjpeg"},
                  "encoder: libx264, libx265, libvpx-vp9, mpeg2video, mpeg4 (ASP), libxvid, "
                  "libsvtav1, mjpeg"),
        choice<P>("pix_fmt", &P::pix_fmt, "yuv420p",
                  {"yuv420p", "yuv422p", "yuv444p", "yuv420p10", "yuv422p10", "yuv444p10"},
                  "YUV format; an encoder that lacks it gets FFmpeg's nearest pick (mpeg4/xvid: "
                  "yuv420p only, mpeg2: no 4:4:4 or 10-bit, av1: 4:2:0 only, mjpeg: 8-bit)"),
        choice<P>("matrix", &P::matrix, "bt709", {"bt601", "bt709"}, "RGB<->YUV matrix"),
        choice<P>("range", &P::range, "limited", {"limited", "full"},
                  "YUV range: limited (16-235) or full (0-255)"),
        choice<P>(
            "chroma_scaler", &P::chroma_scaler, "bicubic",
            {"bilinear", "bicubic", "area", "lanczos", "point", "gauss", "spline", "fast_bilinear"},
            "swscale filter for chroma subsampling and upsampling (FFmpeg default bicubic)"),
        boolean<P>("accurate_rnd", &P::accurate_rnd, false, "swscale accurate_rnd flag"),
        boolean<P>("full_chroma_int", &P::full_chroma_int, false,
                   "swscale full_chroma_int flag (full chroma interpolation on YUV->RGB)"),
        choice<P>("rgb_bits", &P::rgb_bits, "16", {"8", "16"},
                  "RGB side of the YUV conversion: 8 = rgb24 exactly as Python pipelines piping "
                  "through the ffmpeg CLI (coarser swscale paths), 16 = rgb48, keeps precision"),
        integer<P>("frames", &P::frames, 5, 1, 16,
                   "clip length for a still (pans/zoom between frames)"),
        integer<P>("frame", &P::frame, 2, 0, 15,
                   "clip position of the returned (unmoved) frame, clamped to frames-1; "
                   "0 is the keyframe, later ones are P/B frames. Video source: that many "
                   "following frames, time-reversed, lead up to it"),
        real<P>("pan", &P::pan, 1.0, 0, 8, "stills: largest pan per frame, pixels (sub-pixel)"),
        real<P>("zoom", &P::zoom, 0.005, 0, 0.05, "stills: largest relative zoom per frame"),
        real<P>("crf", &P::crf, 23, 0, 63,
                "constant rate factor: h264/h265 (capped at 51), vp9/av1 (rounded); "
                "others ignore it")
            .when("codec=h264|h265|vp9|av1"),
        choice<P>("preset", &P::preset, "medium",
                  {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                   "slower", "veryslow"},
                  "x264/x265 speed preset (h264, h265 only)")
            .when("codec=h264|h265"),
        choice<P>("tune", &P::tune, "none", {"none", "film", "grain", "animation"},
                  "x264 tune (h264 only)")
            .when("codec=h264"),
        choice<P>(
            "profile", &P::profile, "high", {"baseline", "main", "high"},
            "x264 profile (h264 with yuv420p and crf > 0 only; else x264 picks the fitting one)")
            .when("codec=h264"),
        text<P>("x265_params", &P::x265_params, "",
                "extra x265 parameters, key=value joined by ':' e.g. psy-rd=5:sao=0 (h265 only; "
                "tuning keys only, see kX265Keys)")
            .when("codec=h265")
            .option_keys(kX265Keys),
        choice<P>("deadline", &P::deadline, "good", {"good", "best", "realtime"},
                  "libvpx deadline (vp9 only)")
            .when("codec=vp9"),
        integer<P>("cpu_used", &P::cpu_used, 1, 0, 8,
                   "libvpx speed/quality trade-off, higher is faster (vp9 only)")
            .when("codec=vp9"),
        integer<P>("svt_preset", &P::svt_preset, 8, 0, 13,
                   "SVT-AV1 preset, higher is faster (av1 only)")
            .when("codec=av1"),
        choice<P>("rate_control", &P::rate_control, "qscale", {"qscale", "bitrate"},
                  "fixed quantiser or target bitrate (mpeg2, mpeg4, xvid; mjpeg is always qscale)")
            .when("codec=mpeg2|mpeg4|xvid"),
        real<P>("qscale", &P::qscale, 4, 1, 31,
                "fixed quantiser, FFmpeg's -q:v, lower is better (mpeg2, mpeg4, xvid, mjpeg)")
            .when("codec=mpeg2|mpeg4|xvid|mjpeg"),
        real<P>("bitrate", &P::bitrate, 2000, 16, 100000,
                "target bitrate in kbit/s with rate_control bitrate (mpeg2, mpeg4, xvid)")
            .when("codec=mpeg2|mpeg4|xvid"),
    };
    return t;
  }

  void run(const CodecParams& p, Pair& pair, Rng& rng) const {
    const codec::EncoderSetup setup = encoder_setup(p);
    const bool gray = pair.lq.channels() == 1;
    cv::Mat lq = pair.lq;
    if (gray) cv::cvtColor(lq, lq, cv::COLOR_GRAY2RGB);
    const int pick = std::min(p.frame, p.frames - 1);
    std::vector<cv::Mat> clip;
    size_t index = 0;
    if (pair.next_frames.empty()) {
      clip = still_clip(lq, p.frames, pick, p, rng);
      index = static_cast<size_t>(pick);
    } else {
      const int before = std::min(pick, static_cast<int>(pair.next_frames.size()));
      clip = video_clip(pair, lq, before);
      index = static_cast<size_t>(before);
    }
    cv::Mat out = codec::round_trip(clip, index, setup);
    if (gray) cv::cvtColor(out, out, cv::COLOR_RGB2GRAY);
    pair.lq = out;
  }
};

const OpInfo& op_codec() {
  static const OpInfo info = lq_only(make_op_info<Codec>(
      "codec", "video-codec round-trip of LQ (x264, x265, VP9, MPEG-2/4, Xvid, AV1, MJPEG)"));
  return info;
}

}  // namespace pf::degrade

#include "degrade/codec/round_trip.h"

extern "C" {
#include <libavutil/cpu.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include <cmath>
#include <cstring>
#include <functional>
#include <opencv2/core.hpp>

#include "core/error.h"

namespace pf::degrade::codec {

namespace {

constexpr AVRational kTimeBase = {1, 25};

// SVT-AV1 refuses frames under 64 px a side. x265 (3.5) takes them, but below two 64 px CTUs a
// side it misbehaves: under 64 px its lookahead (cuTree on the half-size "lowres" planes) writes
// out of bounds (seen under valgrind with 10-bit 24x16 frames), and a small picture padded to
// 64x64 gave up to 17 different bitstreams in 60 runs of identical input (B-frames on, with or
// without asm and thread pools); padded to 128 every size tried gave one. The others take
// anything with even sides.
int min_side(const std::string& encoder) {
  if (encoder == "libx265") return 128;
  return encoder == "libsvtav1" ? 64 : 16;
}

cv::Size padded_size(cv::Size s, const std::string& encoder) {
  const int m = min_side(encoder);
  auto side = [&](int v) { return std::max(m, v + (v & 1)); };
  return {side(s.width), side(s.height)};
}

cv::Mat pad_to(const cv::Mat& m, cv::Size s) {
  if (m.size() == s) return m;
  cv::Mat out;
  cv::copyMakeBorder(m, out, 0, s.height - m.rows, 0, s.width - m.cols, cv::BORDER_REPLICATE);
  return out;
}

void tag_colours(AVCodecContext& ctx, const ColorSetup& c) {
  ctx.colorspace = c.bt709 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
  ctx.color_primaries = c.bt709 ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
  ctx.color_trc = c.bt709 ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
  ctx.color_range = c.full_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
}

int quality_lambda(const EncoderSetup& s) {
  return static_cast<int>(std::lround(s.qscale * FF_QP2LAMBDA));
}

// x264's CPU capability names (x264_cpu_names) for what this CPU has, AVX-512 left out. x264's
// AVX-512 kernels give run-to-run different bitstreams for identical input on small frames (a
// 32x24 3-frame clip: 8 runs in 100 with another I-frame QP; none with asm=0 or up to AVX2,
// which give identical bytes; tests/degrade/codec_test.cpp keeps that clip). Its other kernels are
// checked bit-exact against the C code by x264's checkasm, so leaving AVX-512 out keeps the bytes
// the same on every x86 machine.
std::string x264_cpu_list() {
  const int f = av_get_cpu_flags();
  std::string list;
  auto add = [&](int flag, const char* name) {
    if (f & flag) list += (list.empty() ? "" : ",") + std::string(name);
  };
#if defined(__x86_64__) || defined(__i386__)
  add(AV_CPU_FLAG_MMXEXT, "MMX2");
  add(AV_CPU_FLAG_SSE, "SSE");
  add(AV_CPU_FLAG_SSE2, (f & AV_CPU_FLAG_SSE2SLOW) ? "SSE2Slow" : "SSE2Fast");
  add(AV_CPU_FLAG_SSE3, "SSE3");
  add(AV_CPU_FLAG_SSSE3, "SSSE3");
  add(AV_CPU_FLAG_SSE4, "SSE4.1");
  add(AV_CPU_FLAG_SSE42, "SSE4.2");
  add(AV_CPU_FLAG_AVX, "AVX");
  add(AV_CPU_FLAG_XOP, "XOP");
  add(AV_CPU_FLAG_FMA4, "FMA4");
  add(AV_CPU_FLAG_FMA3, "FMA3");
  add(AV_CPU_FLAG_BMI1, "BMI1");
  add(AV_CPU_FLAG_BMI2, "BMI2");
  add(AV_CPU_FLAG_AVX2, "AVX2");
#endif
  return list;
}

CodecContextPtr open_encoder(const AVCodec* codec, const EncoderSetup& s, cv::Size size) {
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw Error("codec: out of memory allocating " + s.encoder);
  ctx->width = size.width;
  ctx->height = size.height;
  ctx->pix_fmt = s.color.pix_fmt;
  ctx->time_base = kTimeBase;
  ctx->framerate = {kTimeBase.den, kTimeBase.num};
  // gop_size stays at each encoder's default, as with the ffmpeg CLI: x264/x265/VP9/AV1 clips
  // get one keyframe, MPEG-2/4 a new one every 12 frames.
  ctx->thread_count = 1;  // threaded encoders are not byte-deterministic
  tag_colours(*ctx, s.color);
  if (s.qscale > 0) {
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = quality_lambda(s);
  }
  if (s.bit_rate > 0) ctx->bit_rate = s.bit_rate;
  if (s.unofficial) ctx->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;
  // The options come from the config: an encoder that refuses them (or refuses to open with
  // them) is a config error, which the pipeline places at the step's file:line:column.
  const auto as_config_error = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const ConfigError&) {
      throw;
    } catch (const Error& e) {
      throw ConfigError(e.what());
    }
  };
  for (const auto& [key, value] : s.options)
    as_config_error([&] {
      check_av(av_opt_set(ctx->priv_data, key.c_str(), value.c_str(), 0),
               "codec: " + s.encoder + " option " + key + "=" + value);
    });
  if (s.encoder == "libx264") {
    const std::string cpus = x264_cpu_list();
    if (!cpus.empty())
      check_av(av_opt_set(ctx->priv_data, "x264-params", ("asm=" + cpus).c_str(), 0),
               "codec: libx264 option asm=" + cpus);
  }
  as_config_error([&] {
    std::string options;
    for (const auto& [key, value] : s.options) options += " " + key + "=" + value;
    check_av(avcodec_open2(ctx.get(), codec, nullptr),
             "codec: opening " + s.encoder + (options.empty() ? "" : " with" + options));
  });
  return ctx;
}

// Moves every packet the encoder has ready into `out`; false once the encoder is drained.
bool drain_packets(AVCodecContext& ctx, std::vector<PacketPtr>& out, const std::string& name) {
  for (;;) {
    PacketPtr pkt(av_packet_alloc());
    const int r = avcodec_receive_packet(&ctx, pkt.get());
    if (r == AVERROR(EAGAIN)) return true;
    if (r == AVERROR_EOF) return false;
    check_av(r, "codec: encoding with " + name);
    out.push_back(std::move(pkt));
  }
}

std::vector<PacketPtr> encode_clip(AVCodecContext& ctx, const std::vector<cv::Mat>& frames,
                                   const EncoderSetup& s) {
  std::vector<PacketPtr> packets;
  for (size_t i = 0; i < frames.size(); ++i) {
    FramePtr f = rgb_to_frame(frames[i], s.color);
    f->pts = static_cast<int64_t>(i);
    if (s.qscale > 0) f->quality = quality_lambda(s);  // as the ffmpeg CLI does for -q:v
    check_av(avcodec_send_frame(&ctx, f.get()), "codec: encoding with " + s.encoder);
    drain_packets(ctx, packets, s.encoder);
  }
  check_av(avcodec_send_frame(&ctx, nullptr), "codec: flushing " + s.encoder);
  while (drain_packets(ctx, packets, s.encoder)) {
  }
  return packets;
}

const AVCodec* decoder_for(AVCodecID id) {
  // FFmpeg's native AV1 decoder needs a hardware accelerator; prefer the software ones.
  if (id == AV_CODEC_ID_AV1)
    for (const char* name : {"libdav1d", "libaom-av1"})
      if (const AVCodec* d = avcodec_find_decoder_by_name(name)) return d;
  return avcodec_find_decoder(id);
}

CodecContextPtr open_decoder(const AVCodecContext& enc) {
  const AVCodec* codec = decoder_for(enc.codec_id);
  if (!codec) throw Error(std::string("codec: no decoder for ") + avcodec_get_name(enc.codec_id));
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw Error("codec: out of memory allocating a decoder");
  ctx->width = enc.width;
  ctx->height = enc.height;
  ctx->thread_count = 1;
  if (enc.extradata_size > 0) {
    ctx->extradata = static_cast<uint8_t*>(
        av_mallocz(static_cast<size_t>(enc.extradata_size) + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!ctx->extradata) throw Error("codec: out of memory copying extradata");
    std::memcpy(ctx->extradata, enc.extradata, static_cast<size_t>(enc.extradata_size));
    ctx->extradata_size = enc.extradata_size;
  }
  check_av(avcodec_open2(ctx.get(), codec, nullptr),
           std::string("codec: opening decoder ") + codec->name);
  return ctx;
}

// Decodes all packets and keeps frame number `pick` in display order (null if never reached).
FramePtr decode_frame(AVCodecContext& ctx, const std::vector<PacketPtr>& packets, size_t pick) {
  FramePtr kept;
  size_t seen = 0;
  auto receive_all = [&] {
    for (;;) {
      FramePtr f(av_frame_alloc());
      const int r = avcodec_receive_frame(&ctx, f.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      check_av(r, std::string("codec: decoding with ") + ctx.codec->name);
      if (seen++ == pick) kept = std::move(f);
    }
  };
  for (const PacketPtr& p : packets) {
    check_av(avcodec_send_packet(&ctx, p.get()), std::string("codec: decoding ") + ctx.codec->name);
    receive_all();
  }
  check_av(avcodec_send_packet(&ctx, nullptr), "codec: flushing the decoder");
  receive_all();
  return kept;
}

}  // namespace

AVPixelFormat nearest_pix_fmt(const std::string& encoder, AVPixelFormat wanted) {
  const AVCodec* codec = find_video_encoder(encoder);
  if (!codec->pix_fmts) return wanted;
  for (const AVPixelFormat* f = codec->pix_fmts; *f != AV_PIX_FMT_NONE; ++f)
    if (*f == wanted) return wanted;
  // Only planar YUV candidates: never let the pick drift to RGB, NV12 or gray.
  std::vector<AVPixelFormat> yuv;
  for (const AVPixelFormat* f = codec->pix_fmts; *f != AV_PIX_FMT_NONE; ++f) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(*f);
    if (d && d->nb_components == 3 && (d->flags & AV_PIX_FMT_FLAG_PLANAR) &&
        !(d->flags & AV_PIX_FMT_FLAG_RGB) && std::strncmp(d->name, "yuvj", 4) != 0)
      yuv.push_back(*f);
  }
  yuv.push_back(AV_PIX_FMT_NONE);
  const AVPixelFormat best = avcodec_find_best_pix_fmt_of_list(yuv.data(), wanted, 0, nullptr);
  if (best == AV_PIX_FMT_NONE) throw Error("codec: " + encoder + " takes no planar YUV format");
  return best;
}

cv::Mat round_trip(const std::vector<cv::Mat>& frames, size_t pick, const EncoderSetup& setup) {
  if (frames.empty() || pick >= frames.size())
    throw Error("codec: round_trip needs a frame number inside the clip");
  quiet_ffmpeg_logs();
  const AVCodec* codec = find_video_encoder(setup.encoder);
  const cv::Size size = frames.front().size(), coded = padded_size(size, setup.encoder);
  std::vector<cv::Mat> padded;
  for (const cv::Mat& f : frames) {
    if (f.size() != size || f.type() != CV_32FC3)
      throw Error("codec: clip frames must all be CV_32FC3 of one size");
    padded.push_back(pad_to(f, coded));
  }
  CodecContextPtr enc = open_encoder(codec, setup, coded);
  const std::vector<PacketPtr> packets = encode_clip(*enc, padded, setup);
  CodecContextPtr dec = open_decoder(*enc);
  FramePtr frame = decode_frame(*dec, packets, pick);
  if (!frame)
    throw Error("codec: " + setup.encoder + " round-trip decoded fewer than " +
                std::to_string(pick + 1) + " frames");
  return frame_to_rgb(*frame, setup.color)(cv::Rect({0, 0}, size)).clone();
}

}  // namespace pf::degrade::codec

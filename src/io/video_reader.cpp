#include "io/video_reader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "io/av_util.h"
#include "io/phash.h"
#include "io/sws_buffer.h"

namespace pf::io {

namespace {

constexpr int kThumbWidth = 64, kThumbHeight = 36;  // scene detection works on this luma size
constexpr int kMaxConsecutiveReadErrors = 32;       // then the rest of the file is given up

struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

// A decoded frame waiting in the lookahead queue; converted to float RGB when first needed.
struct Decoded {
  FramePtr frame;
  cv::Mat rgb;
  int64_t index = 0;
  double time_s = 0;
  bool scene_cut = false;
};

bool is_rgb_format(int format) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
  return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

int depth_of(int format) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
  return d ? d->comp[0].depth : 8;
}

// A colour tag of a decoded frame as the int it holds. Decoders copy these from the bitstream
// unchecked (an H.264 VUI of 243), and reading a value outside an enum's range through the enum
// type is undefined (UBSan in fuzz_video): the bytes are copied out instead.
template <class Enum>
int tag_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int), "FFmpeg's colour enums are int-sized");
  int v = 0;
  std::memcpy(&v, &field, sizeof v);
  return v;
}

// The YUV->RGB matrix the frame is tagged with; untagged HD is BT.709, untagged SD BT.601.
int sws_colorspace(const AVFrame* f) {
  switch (tag_value(f->colorspace)) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    case AVCOL_SPC_FCC:
      return SWS_CS_FCC;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
      return SWS_CS_ITU601;
    default:
      return f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
  }
}

bool full_range(const AVFrame* f) {
  const auto fmt = static_cast<AVPixelFormat>(f->format);
  return tag_value(f->color_range) == AVCOL_RANGE_JPEG || fmt == AV_PIX_FMT_YUVJ420P ||
         fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P;
}

}  // namespace

struct VideoReader::State {
  std::string path;
  FrameSelection sel;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  AVPacket* packet = nullptr;
  int stream = -1;
  double fps = 0, time_base = 0, start_offset_s = 0;
  SwsContext* rgb_sws = nullptr;
  SwsContext* thumb_sws = nullptr;

  std::deque<Decoded> queue;  // decoded, not yet handed out or skipped
  bool draining = false, finished = false, range_ended = false;
  int warnings = 0, read_errors_in_row = 0;
  int64_t decoded = 0;
  int64_t last_index = -1;
  double last_time = -1;
  cv::Mat previous_thumb;
  int64_t seen_in_range = 0;
  bool have_hash = false;
  uint64_t last_hash = 0;

  ~State() {
    sws_freeContext(rgb_sws);
    sws_freeContext(thumb_sws);
    av_packet_free(&packet);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
  }

  int bit_depth_value() const { return depth_of(dec->pix_fmt); }

  void warn(const std::string& what) {
    ++warnings;
    spdlog::warn("video '{}': {}", path, what);
  }

  void open() {
    int rc = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
    if (rc < 0) throw InputError("cannot open video '" + path + "': " + av_error_text(rc));
    rc = avformat_find_stream_info(fmt, nullptr);
    if (rc < 0) throw InputError("cannot read video '" + path + "': " + av_error_text(rc));
    const AVCodec* codec = nullptr;
    stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream < 0 || !codec) throw InputError("'" + path + "' has no decodable video stream");
    const AVStream* st = fmt->streams[stream];
    dec = avcodec_alloc_context3(codec);
    if (avcodec_parameters_to_context(dec, st->codecpar) < 0)
      throw InputError("video '" + path + "': bad stream parameters");
    dec->thread_count = 0;  // FFmpeg picks; decoding stays bit-exact whatever the count
    rc = avcodec_open2(dec, codec, nullptr);
    if (rc < 0) throw InputError("cannot decode video '" + path + "': " + av_error_text(rc));
    packet = av_packet_alloc();
    time_base = av_q2d(st->time_base);
    const AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    fps = rate.num && rate.den ? av_q2d(rate) : 25.0;
    start_offset_s = st->start_time != AV_NOPTS_VALUE ? st->start_time * time_base : 0;
    if (sel.start_s > 0) seek_to_start();
  }

  // Jumps to the keyframe before start_s; frames before it are then decoded and dropped.
  void seek_to_start() {
    const auto ts = static_cast<int64_t>((sel.start_s + start_offset_s) / time_base);
    if (av_seek_frame(fmt, stream, ts, AVSEEK_FLAG_BACKWARD) < 0) return;  // decode from 0
    avcodec_flush_buffers(dec);
  }

  // Reads packets until the decoder has taken one; false when the file is exhausted.
  bool feed_decoder() {
    for (;;) {
      const int rc = av_read_frame(fmt, packet);
      if (rc == AVERROR_EOF) return false;
      if (rc < 0) {
        warn("read error: " + av_error_text(rc));
        if (++read_errors_in_row > kMaxConsecutiveReadErrors || rc == AVERROR(EIO)) return false;
        continue;
      }
      read_errors_in_row = 0;
      if (packet->stream_index != stream) {
        av_packet_unref(packet);
        continue;
      }
      if (packet->flags & AV_PKT_FLAG_CORRUPT) warn("corrupt packet");
      const int sent = avcodec_send_packet(dec, packet);
      av_packet_unref(packet);
      if (sent < 0 && sent != AVERROR(EAGAIN)) warn("cannot decode packet: " + av_error_text(sent));
      return true;
    }
  }

  // Decodes the next good frame into the queue; false at the end of the stream.
  bool decode_one() {
    FramePtr frame(av_frame_alloc());
    for (;;) {
      const int rc = avcodec_receive_frame(dec, frame.get());
      if (rc == 0) {
        if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
          warn("damaged frame skipped");
          av_frame_unref(frame.get());
          continue;
        }
        enqueue(std::move(frame));
        return true;
      }
      if (rc == AVERROR_EOF) return false;
      if (rc != AVERROR(EAGAIN)) {
        warn("decoder error: " + av_error_text(rc));
        continue;
      }
      if (draining) return false;
      if (!feed_decoder()) {
        draining = true;
        avcodec_send_packet(dec, nullptr);
      }
    }
  }

  void enqueue(FramePtr frame) {
    ++decoded;
    Decoded d;
    const int64_t ts = frame->best_effort_timestamp;
    // Frame numbers come from timestamps (so they survive a seek), kept strictly increasing.
    int64_t index = last_index + 1;
    if (ts != AV_NOPTS_VALUE) index = std::llround((ts * time_base - start_offset_s) * fps);
    d.index = std::max(index, last_index + 1);
    d.time_s = ts != AV_NOPTS_VALUE ? ts * time_base - start_offset_s : d.index / fps;
    last_index = d.index, last_time = d.time_s;
    if (sel.scene_threshold > 0) d.scene_cut = is_scene_cut(frame.get());
    d.frame = std::move(frame);
    queue.push_back(std::move(d));
  }

  bool is_scene_cut(const AVFrame* f) {
    thumb_sws = sws_getCachedContext(
        thumb_sws, f->width, f->height, static_cast<AVPixelFormat>(f->format), kThumbWidth,
        kThumbHeight, AV_PIX_FMT_GRAY8, SWS_AREA, nullptr, nullptr, nullptr);
    cv::Mat thumb = sws_destination(kThumbHeight, kThumbWidth, CV_8UC1);
    uint8_t* planes[4] = {thumb.data};
    int strides[4] = {static_cast<int>(thumb.step[0])};
    sws_scale(thumb_sws, f->data, f->linesize, 0, f->height, planes, strides);
    const bool cut = previous_thumb.empty() ||
                     cv::norm(thumb, previous_thumb, cv::NORM_L1) / (255.0 * thumb.total()) >
                         sel.scene_threshold;
    previous_thumb = thumb;
    return cut;
  }

  // Float RGB of a queued frame (converted once; the AVFrame is released after).
  const cv::Mat& rgb_of(Decoded& d) {
    if (!d.rgb.empty()) return d.rgb;
    const AVFrame* f = d.frame.get();
    const bool deep = depth_of(f->format) > 8;
    const AVPixelFormat out = deep ? AV_PIX_FMT_RGB48 : AV_PIX_FMT_RGB24;
    rgb_sws = sws_getCachedContext(
        rgb_sws, f->width, f->height, static_cast<AVPixelFormat>(f->format), f->width, f->height,
        out, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr);
    if (!rgb_sws) throw InputError("video '" + path + "': unsupported pixel format");
    if (!is_rgb_format(f->format))
      sws_setColorspaceDetails(rgb_sws, sws_getCoefficients(sws_colorspace(f)), full_range(f),
                               sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    cv::Mat packed = sws_destination(f->height, f->width, deep ? CV_16UC3 : CV_8UC3);
    uint8_t* planes[4] = {packed.data};
    int strides[4] = {static_cast<int>(packed.step[0])};
    sws_scale(rgb_sws, f->data, f->linesize, 0, f->height, planes, strides);
    packed.convertTo(d.rgb, CV_32F, deep ? 1.0 / 65535 : 1.0 / 255);
    d.frame.reset();
    return d.rgb;
  }

  // Makes sure the queue holds `n` frames (fewer at the end of the file).
  void fill_queue(size_t n) {
    while (queue.size() < n && !finished) {
      if (!decode_one()) {
        finished = true;
        check_complete();
      }
    }
  }

  // A file that ends well before its declared duration was cut short.
  void check_complete() {
    const double declared = fmt->duration > 0 ? fmt->duration / double(AV_TIME_BASE) : 0;
    if (declared > 0 && last_time + 1.5 / fps < declared - 1e-3)
      warn(fmt::format("frames end at {:.3f} s of the {:.3f} s declared: truncated?",
                       std::max(0.0, last_time + 1 / fps), declared));
  }

  bool selected(Decoded& d) {
    const bool first = seen_in_range++ == 0;
    const bool pick = sel.scene_threshold > 0 ? (first || d.scene_cut)
                                              : (seen_in_range - 1) % std::max(1, sel.every) == 0;
    if (!pick) return false;
    if (sel.dedup_distance < 0) return true;
    const uint64_t hash = perceptual_hash(rgb_of(d));
    if (have_hash && hamming_distance(hash, last_hash) <= sel.dedup_distance) return false;
    have_hash = true, last_hash = hash;
    return true;
  }
};

VideoReader::VideoReader(const std::string& path, FrameSelection sel)
    : s_(std::make_unique<State>()) {
  s_->path = path;
  s_->sel = sel;
  if (sel.every < 1) throw InputError("video '" + path + "': every must be >= 1");
  if (sel.end_s > 0 && sel.end_s <= sel.start_s)
    throw InputError("video '" + path + "': end time must come after start time");
  s_->open();
}

VideoReader::~VideoReader() = default;

bool VideoReader::next(VideoFrame& out, std::vector<cv::Mat>* following, int following_count) {
  State& s = *s_;
  const double half_frame = 0.5 / s.fps;
  for (;;) {
    if (s.range_ended) return false;
    s.fill_queue(1);
    if (s.queue.empty()) return false;
    Decoded& d = s.queue.front();
    if (d.time_s < s.sel.start_s - half_frame) {
      s.queue.pop_front();
      continue;
    }
    if (s.sel.end_s > 0 && d.time_s >= s.sel.end_s - half_frame) {
      s.range_ended = true;
      s.queue.clear();
      return false;
    }
    if (!s.selected(d)) {
      s.queue.pop_front();
      continue;
    }
    out.rgb = s.rgb_of(d);
    out.index = d.index;
    out.time_s = d.time_s;
    out.bit_depth = s.bit_depth_value();
    if (following) {
      following->clear();
      s.fill_queue(static_cast<size_t>(std::max(0, following_count)) + 1);
      // Copies: the caller may draw on them, and they are still to be selected from.
      for (size_t i = 1; i < s.queue.size() && static_cast<int>(i) <= following_count; ++i)
        following->push_back(s.rgb_of(s.queue[i]).clone());
    }
    s.queue.pop_front();
    return true;
  }
}

int VideoReader::warnings() const {
  return s_->warnings;
}
double VideoReader::fps() const {
  return s_->fps;
}
int VideoReader::width() const {
  return s_->dec->width;
}
int VideoReader::height() const {
  return s_->dec->height;
}
int VideoReader::bit_depth() const {
  return s_->bit_depth_value();
}
double VideoReader::duration_s() const {
  return s_->fmt->duration > 0 ? s_->fmt->duration / double(AV_TIME_BASE) : 0;
}

int64_t VideoReader::frames_decoded() const {
  return s_->decoded;
}

bool is_video_file(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* e : {".mkv", ".mp4", ".m2ts", ".ts", ".webm", ".avi", ".mov"})
    if (ext == e) return true;
  return false;
}

std::string frame_name(const std::string& video_path, int64_t index) {
  return fmt::format("{}_{:06d}", std::filesystem::path(video_path).stem().string(), index);
}

}  // namespace pf::io

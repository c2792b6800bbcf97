#include "io/video_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
}
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/input_file.h"
#include "io/av_util.h"
#include "io/image.h"

namespace pf::io {

namespace {
constexpr int kMaxConsecutiveReadErrors = 32;  // then the rest of the file is given up
}

VideoDecoder::VideoDecoder(const std::string& path) : path_(path) {
  open();
}

VideoDecoder::~VideoDecoder() {
  close();
}

void VideoDecoder::close() {
  av_packet_free(&packet_);
  avcodec_free_context(&dec_);
  avformat_close_input(&fmt_);
}

void VideoDecoder::open() {
  // A FIFO or a device would never end; a disc folder goes through libavformat's bluray
  // protocol ("bluray:/mnt/disc" or a BDMV folder's parent), which reads the playlist's files.
  if (path_.rfind("bluray:", 0) == 0) {
    if (!std::filesystem::is_directory(path_.substr(7)))
      throw InputError("'" + path_ + "': a Blu-ray source is a folder holding BDMV/");
  } else {
    require_regular_file(path_, "video");
  }
  int rc = avformat_open_input(&fmt_, path_.c_str(), nullptr, nullptr);
  if (rc < 0) throw InputError("cannot open video '" + path_ + "': " + av_error_text(rc));
  rc = avformat_find_stream_info(fmt_, nullptr);
  if (rc < 0) throw InputError("cannot read video '" + path_ + "': " + av_error_text(rc));
  const AVCodec* codec = nullptr;
  stream_ = av_find_best_stream(fmt_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream_ < 0 || !codec) throw InputError("'" + path_ + "' has no decodable video stream");
  AVStream* st = fmt_->streams[stream_];
  dec_ = avcodec_alloc_context3(codec);
  if (avcodec_parameters_to_context(dec_, st->codecpar) < 0)
    throw InputError("video '" + path_ + "': bad stream parameters");
  dec_->thread_count = 0;  // FFmpeg picks; decoding stays bit-exact whatever the count
  rc = avcodec_open2(dec_, codec, nullptr);
  if (rc < 0) throw InputError("cannot decode video '" + path_ + "': " + av_error_text(rc));
  // The same bound as for images: a frame this size would be refused as a picture too.
  if (static_cast<uint64_t>(dec_->width) * static_cast<uint64_t>(dec_->height) > max_image_pixels())
    throw InputError(
        fmt::format("video '{}': frames of {}x{} exceed the {} pixel limit "
                    "(PAIRFORGE_MAX_IMAGE_PIXELS)",
                    path_, dec_->width, dec_->height, max_image_pixels()));
  packet_ = av_packet_alloc();
  time_base_ = st->time_base;
  const AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
  frame_rate_ = rate.num > 0 && rate.den > 0 ? rate : AVRational{25, 1};
  fps_ = av_q2d(frame_rate_);
  start_offset_s_ = st->start_time != AV_NOPTS_VALUE ? st->start_time * av_q2d(time_base_) : 0;
  sar_ = av_guess_sample_aspect_ratio(fmt_, st, nullptr);
  if (sar_.num <= 0 || sar_.den <= 0) sar_ = {1, 1};
  draining_ = ended_ = false;
}

int VideoDecoder::width() const {
  return dec_->width;
}
int VideoDecoder::height() const {
  return dec_->height;
}
int VideoDecoder::pix_fmt() const {
  return dec_->pix_fmt;
}
int VideoDecoder::bit_depth() const {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(dec_->pix_fmt);
  return d ? d->comp[0].depth : 8;
}
int VideoDecoder::color_transfer() const {
  return fmt_->streams[stream_]->codecpar->color_trc;
}
double VideoDecoder::duration_s() const {
  return fmt_->duration > 0 ? fmt_->duration / double(AV_TIME_BASE) : 0;
}

void VideoDecoder::warn(const std::string& what) {
  ++warnings_;
  spdlog::warn("video '{}': {}", path_, what);
}

double VideoDecoder::time_of(const AVFrame* f) const {
  const int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
  return ts == AV_NOPTS_VALUE ? NAN : ts * av_q2d(time_base_) - start_offset_s_;
}

int64_t VideoDecoder::index_of(const AVFrame* f) const {
  const double t = time_of(f);
  return std::isnan(t) ? -1 : std::llround(t * fps_);
}

bool VideoDecoder::looks_truncated() const {
  const double declared = duration_s();
  return declared > 0 && packets_end_s_ < declared - std::max(0.25, 2 / fps_);
}

// Reads packets until the decoder has taken one; false when the file is exhausted.
bool VideoDecoder::feed() {
  for (;;) {
    const int rc = av_read_frame(fmt_, packet_);
    if (rc == AVERROR_EOF) return false;
    if (rc < 0) {
      warn("read error: " + av_error_text(rc));
      if (++read_errors_in_row_ > kMaxConsecutiveReadErrors || rc == AVERROR(EIO)) return false;
      continue;
    }
    read_errors_in_row_ = 0;
    const AVStream* st = fmt_->streams[packet_->stream_index];
    const int64_t ts = packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts;
    if (ts != AV_NOPTS_VALUE) {
      const double file_start =
          fmt_->start_time != AV_NOPTS_VALUE ? fmt_->start_time / double(AV_TIME_BASE) : 0;
      const double end = (ts + std::max<int64_t>(0, packet_->duration)) * av_q2d(st->time_base);
      packets_end_s_ = std::max(packets_end_s_, end - file_start);
    }
    if (packet_->stream_index != stream_) {
      av_packet_unref(packet_);
      continue;
    }
    if (packet_->flags & AV_PKT_FLAG_CORRUPT) warn("corrupt packet");
    const int sent = avcodec_send_packet(dec_, packet_);
    av_packet_unref(packet_);
    if (sent < 0 && sent != AVERROR(EAGAIN)) warn("cannot decode packet: " + av_error_text(sent));
    return true;
  }
}

AvFramePtr VideoDecoder::decode() {
  if (ended_) return nullptr;
  AvFramePtr frame(av_frame_alloc());
  for (;;) {
    const int rc = avcodec_receive_frame(dec_, frame.get());
    if (rc == 0) {
      if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        warn("damaged frame skipped");
        av_frame_unref(frame.get());
        continue;
      }
      ++decoded_;
      return frame;
    }
    if (rc == AVERROR_EOF) {
      ended_ = true;
      return nullptr;
    }
    if (rc != AVERROR(EAGAIN)) {
      warn("decoder error: " + av_error_text(rc));
      continue;
    }
    if (draining_) {
      ended_ = true;
      return nullptr;
    }
    if (!feed()) {
      draining_ = true;
      avcodec_send_packet(dec_, nullptr);
    }
  }
}

AvFramePtr VideoDecoder::next() {
  if (!pending_.empty()) {
    AvFramePtr f = std::move(pending_.front());
    pending_.pop_front();
    return f;
  }
  return decode();
}

void VideoDecoder::seek(double time_s) {
  pending_.clear();
  const double frame = 1 / fps_;
  // Tries seeks from `time_s - margin`, doubling the margin while the landing keyframe comes
  // after `time_s`; at the start of the file, decoding from the first packet is exact anyway.
  for (double margin = 0;; margin = std::max(1.0, margin * 2)) {
    const double target = time_s - margin;
    if (target <= frame) {
      close();
      decoded_ = 0;
      open();
      return;
    }
    const auto ts = static_cast<int64_t>((target + start_offset_s_) / av_q2d(time_base_));
    if (av_seek_frame(fmt_, stream_, ts, AVSEEK_FLAG_BACKWARD) < 0) continue;
    avcodec_flush_buffers(dec_);
    draining_ = ended_ = false;
    // The first keyframe after the seek; leading pictures (shown before it) depend on frames
    // before the seek point and are dropped.
    AvFramePtr f;
    while ((f = decode()) && !f->key_frame) {
    }
    if (!f) continue;  // nothing decodable from there: further back
    const double key_time = time_of(f.get());
    if (std::isnan(key_time) || key_time > time_s + 0.5 * frame) continue;
    pending_.push_back(std::move(f));
    return;
  }
}

}  // namespace pf::io

// Demuxing and decoding of a file's best video stream, frame by frame, with frame-exact seeking
// on every container: a seek lands on a keyframe at or before the asked time, or goes further
// back until it does (MPEG-TS/M2TS seek by byte estimates and often land a GOP late), and the
// leading pictures of an open GOP are dropped, so what follows equals a decode from the start.
#pragma once
extern "C" {
#include <libavutil/rational.h>
}
#include <cstdint>
#include <deque>
#include <string>

#include "io/filter_graph.h"

struct AVFormatContext;
struct AVCodecContext;
struct AVPacket;

namespace pf::io {

class VideoDecoder {
 public:
  explicit VideoDecoder(const std::string& path);  // throws InputError naming the file
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // The next good frame (damaged ones are skipped with a warning); null at the end.
  AvFramePtr next();
  // Positions the stream so that next() returns frames from a keyframe at or before `time_s`
  // (seconds from the stream's first frame), decoded exactly as from the start.
  void seek(double time_s);

  double time_of(const AVFrame* f) const;  // seconds from the stream's start; NAN when unknown
  // Frame number at the stream's nominal rate (from the timestamp, so it survives seeks).
  int64_t index_of(const AVFrame* f) const;

  const std::string& path() const { return path_; }
  double fps() const { return fps_; }
  double start_offset_s() const { return start_offset_s_; }  // the stream's first timestamp
  AVRational frame_rate() const { return frame_rate_; }
  AVRational time_base() const { return time_base_; }
  AVRational sample_aspect_ratio() const { return sar_; }
  int width() const;
  int height() const;
  int pix_fmt() const;
  int bit_depth() const;
  int color_transfer() const;  // AVColorTransferCharacteristic as tagged on the stream
  double duration_s() const;   // as the container declares it, 0 when unknown
  int64_t frames_decoded() const { return decoded_; }
  int warnings() const { return warnings_; }
  // After the end: true when every stream's packets stopped well before the declared duration
  // (a cut-short file). Audio outlasting video, or a variable frame rate, is not truncation.
  bool looks_truncated() const;
  void warn(const std::string& what);

 private:
  void open();
  void close();
  bool feed();
  AvFramePtr decode();

  std::string path_;
  AVFormatContext* fmt_ = nullptr;
  AVCodecContext* dec_ = nullptr;
  AVPacket* packet_ = nullptr;
  int stream_ = -1;
  AVRational time_base_{1, 1}, frame_rate_{25, 1}, sar_{1, 1};
  double fps_ = 25, start_offset_s_ = 0;
  bool draining_ = false, ended_ = false;
  int warnings_ = 0, read_errors_in_row_ = 0;
  int64_t decoded_ = 0;
  double packets_end_s_ = 0;        // the latest end of any packet read, any stream
  std::deque<AvFramePtr> pending_;  // decoded while checking a seek, handed out first
};

}  // namespace pf::io

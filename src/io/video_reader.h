// Video decoding with libavformat/libavcodec/libavfilter/libswscale, streamed: frames are
// decoded one at a time and only the selected ones (and any lookahead asked for) are converted
// and kept, so memory stays flat however long the file. 8- and 10-bit (and deeper) sources
// convert to float without going through 8 bits. Truncated or corrupt data yields the frames
// that decode.
//
// Disc sources are made clean on the way (io/source_options.h): telecined film is inverse
// telecined (fieldmatch + decimate), interlaced video deinterlaced (bwdif), PQ/HLG tone-mapped
// (zscale + tonemap), black bars cropped (cropdetect over the whole file, one box), anamorphic
// pixels kept and reported or resampled square. Frame numbers are those of the frames handed
// out (film frames after IVTC), from their timestamps, so a cut names the same frames as a
// full decode, and its frames are byte-identical to them.
#pragma once
#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/png_writer.h"
#include "io/source_options.h"

namespace pf::io {

struct FrameSelection {
  int every = 1;                  // keep every N-th frame of the range (ignored in scene mode)
  double scene_threshold = 0;     // > 0: keep the first frame of each scene instead; a cut is a
                                  // frame whose scene score (ffmpeg's, libavfilter's scdet / 100:
                                  // the change of the mean absolute frame difference, 0..1) is
                                  // above this; 0.3 finds ordinary hard cuts
  int dedup_distance = -1;        // -1 = off; skip frames whose 64-bit pHash is within this many
                                  // bits of the last frame kept
  double start_s = 0, end_s = 0;  // end 0 = to the end
};

struct VideoFrame {
  cv::Mat rgb;             // CV_32FC3 RGB [0,1]; with native pixels CV_8UC3 or CV_16UC3 (depth > 8)
  int64_t index;           // frame number in the file (from its timestamp), 0 = first frame
  double time_s;           // presentation time from the start of the file
  int bit_depth;           // bits per sample of the source
  double scene_score = 0;  // when scene detection is on
};

class VideoReader {
 public:
  // Throws InputError naming the file. Analyses the source first when a mode is auto.
  VideoReader(const std::string& path, FrameSelection sel = {}, SourceOptions source = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  // Next selected frame; false at the end. If `following` is given, fills it with up to
  // `following_count` decoded frames that come right after the selected one (consecutive, for
  // inter-frame codecs), without losing them for later selection (small lookahead queue).
  bool next(VideoFrame& out, std::vector<cv::Mat>* following = nullptr, int following_count = 0);
  int warnings() const;  // decode errors met (truncated/corrupt data)
  double fps() const;    // of the frames handed out (film rate after IVTC)
  int width() const;     // of the frames handed out (after crop and SAR resampling)
  int height() const;
  int bit_depth() const;  // of the source
  // Frames handed out as the source's own samples: CV_8UC3 for 8-bit output, CV_16UC3 (full
  // 16-bit scale) for deeper, with no float image in between. Before the first next().
  void set_native_pixels(bool on);
  const SourceReport& report() const;  // what was found and done
  PngTags png_tags() const;            // pHYs for non-square pixels, cICP for HDR kept as is
  double duration_s() const;           // as the container declares it, 0 when unknown
  int64_t frames_decoded() const;      // so far, selected or not

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// By extension: mkv mp4 m4v mov webm avi m2ts mts m2t ts vob mpg mpeg m2v wmv flv y4m and raw
// h264/hevc/mpeg-2 elementary streams.
bool is_video_file(const std::string& path);
// "<video-stem>_<frame-number>", the number zero-padded to six digits: clip_000042.
std::string frame_name(const std::string& video_path, int64_t index);

}  // namespace pf::io

// A libavfilter graph of one video input and one output, described by ffmpeg's -vf syntax
// ("fieldmatch=order=auto,decimate,crop=1440:1080:240:0"). Frames go in decoded and come out
// filtered, with the metadata the filters attach (idet, cropdetect, scdet).
#pragma once
extern "C" {
#include <libavutil/frame.h>
#include <libavutil/rational.h>
}
#include <memory>
#include <string>

namespace pf::io {

struct AvFrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using AvFramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;

struct FilterInput {
  int width = 0, height = 0, pix_fmt = -1;
  AVRational time_base{1, 25}, frame_rate{25, 1}, sar{1, 1};
};

class FilterGraph {
 public:
  // Throws InputError naming `source` when the chain does not build (an unknown filter or
  // option, a format no filter takes).
  FilterGraph(const FilterInput& in, const std::string& chain, const std::string& source);
  ~FilterGraph();
  FilterGraph(const FilterGraph&) = delete;
  FilterGraph& operator=(const FilterGraph&) = delete;

  void push(const AVFrame* frame);  // the graph takes its own reference
  void push_end();
  // The next filtered frame, or null when the graph needs more input (or has ended).
  AvFramePtr pull();
  AVRational time_base() const;  // of the frames pulled
  AVRational frame_rate() const;
  AVRational sar() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// A frame's metadata value (from idet, cropdetect, scdet), "" when absent.
std::string frame_metadata(const AVFrame* frame, const char* key);

}  // namespace pf::io

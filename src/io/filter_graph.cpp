#include "io/filter_graph.h"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/dict.h>
#include <libavutil/log.h>
}
#include <fmt/format.h>

#include <mutex>

#include "core/error.h"
#include "io/av_util.h"

namespace pf::io {

struct FilterGraph::State {
  AVFilterGraph* graph = nullptr;
  AVFilterContext* source = nullptr;
  AVFilterContext* sink = nullptr;
  ~State() { avfilter_graph_free(&graph); }
};

namespace {

struct InOutFree {
  void operator()(AVFilterInOut* p) const { avfilter_inout_free(&p); }
};
using InOutPtr = std::unique_ptr<AVFilterInOut, InOutFree>;

}  // namespace

FilterGraph::FilterGraph(const FilterInput& in, const std::string& chain, const std::string& source)
    : s_(std::make_unique<State>()) {
  // idet prints its counts and cropdetect a line per frame at info level; what matters of them
  // reaches our own log through the frames' metadata.
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
  });
  const auto fail = [&](const std::string& what, int rc) {
    return InputError(fmt::format("video '{}': filter graph '{}': {}: {}", source, chain, what,
                                  av_error_text(rc)));
  };
  s_->graph = avfilter_graph_alloc();
  if (!s_->graph) throw InputError("video '" + source + "': out of memory for a filter graph");
  // The filters' own threads: fieldmatch/decimate are single-threaded; bwdif and zscale slice.
  s_->graph->nb_threads = 0;
  const AVRational sar = in.sar.num > 0 && in.sar.den > 0 ? in.sar : AVRational{1, 1};
  const std::string args =
      fmt::format("video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}:frame_rate={}/{}",
                  in.width, in.height, in.pix_fmt, in.time_base.num, in.time_base.den, sar.num,
                  sar.den, in.frame_rate.num, in.frame_rate.den);
  int rc = avfilter_graph_create_filter(&s_->source, avfilter_get_by_name("buffer"), "in",
                                        args.c_str(), nullptr, s_->graph);
  if (rc < 0) throw fail("buffer source", rc);
  rc = avfilter_graph_create_filter(&s_->sink, avfilter_get_by_name("buffersink"), "out", nullptr,
                                    nullptr, s_->graph);
  if (rc < 0) throw fail("buffer sink", rc);

  InOutPtr outputs(avfilter_inout_alloc()), inputs(avfilter_inout_alloc());
  outputs->name = av_strdup("in");
  outputs->filter_ctx = s_->source;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = s_->sink;
  AVFilterInOut* ins = inputs.release();
  AVFilterInOut* outs = outputs.release();
  rc = avfilter_graph_parse_ptr(s_->graph, chain.empty() ? "null" : chain.c_str(), &ins, &outs,
                                nullptr);
  avfilter_inout_free(&ins);
  avfilter_inout_free(&outs);
  if (rc < 0) throw fail("cannot parse", rc);
  rc = avfilter_graph_config(s_->graph, nullptr);
  if (rc < 0) throw fail("cannot configure", rc);
}

FilterGraph::~FilterGraph() = default;

void FilterGraph::push(const AVFrame* frame) {
  const int rc = av_buffersrc_write_frame(s_->source, frame);  // references, does not take
  if (rc < 0) throw InputError("filter graph: cannot take a frame: " + av_error_text(rc));
}

void FilterGraph::push_end() {
  av_buffersrc_add_frame(s_->source, nullptr);
}

AvFramePtr FilterGraph::pull() {
  AvFramePtr frame(av_frame_alloc());
  const int rc = av_buffersink_get_frame(s_->sink, frame.get());
  if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return nullptr;
  if (rc < 0) throw InputError("filter graph: " + av_error_text(rc));
  return frame;
}

AVRational FilterGraph::time_base() const {
  return av_buffersink_get_time_base(s_->sink);
}
AVRational FilterGraph::frame_rate() const {
  return av_buffersink_get_frame_rate(s_->sink);
}
AVRational FilterGraph::sar() const {
  return av_buffersink_get_sample_aspect_ratio(s_->sink);
}

std::string frame_metadata(const AVFrame* frame, const char* key) {
  const AVDictionaryEntry* e = av_dict_get(frame->metadata, key, nullptr, 0);
  return e ? e->value : "";
}

}  // namespace pf::io

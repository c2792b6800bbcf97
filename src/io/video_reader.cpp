#include "io/video_reader.h"

extern "C" {
#include <libavcodec/avcodec.h>
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
#include "io/filter_graph.h"
#include "io/phash.h"
#include "io/source_probe.h"
#include "io/sws_buffer.h"
#include "io/video_decoder.h"

namespace pf::io {

namespace {

// A decoded (and filtered) frame waiting in the lookahead queue; converted to RGB when first
// needed.
struct Decoded {
  AvFramePtr frame;
  cv::Mat rgb;
  int64_t index = 0;
  double time_s = 0;
  double scene_score = 0;
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

const char* transfer_name(int trc) {
  if (trc == AVCOL_TRC_SMPTE2084) return "pq";
  if (trc == AVCOL_TRC_ARIB_STD_B67) return "hlg";
  return "sdr";
}

int even(double v) {
  return std::max(2, static_cast<int>(std::lround(v / 2)) * 2);
}

}  // namespace

struct VideoReader::State {
  std::string path;
  FrameSelection sel;
  SourceOptions src;
  SourceReport report;
  std::unique_ptr<VideoDecoder> dec;
  std::unique_ptr<FilterGraph> graph;
  std::string chain;
  bool soft_telecine = false, decimate = true, native = false, decoder_done = false;
  double soft_rate = 1;    // film frames per coded frame time under soft telecine
  bool decimated = false;  // IVTC drops one frame in five
  int64_t feed_from = -1;  // input frames before this one are dropped (a cut's warm-up start)
  double out_fps = 25;
  SwsContext* rgb_sws = nullptr;

  std::deque<Decoded> queue;  // decoded, not yet handed out or skipped
  bool finished = false, range_ended = false;
  int64_t last_index = -1;
  int64_t seen_in_range = 0;
  bool have_hash = false;
  uint64_t last_hash = 0;

  ~State() { sws_freeContext(rgb_sws); }

  void open() {
    dec = std::make_unique<VideoDecoder>(path);
    report.fps_in = dec->fps();
    report.source_width = dec->width(), report.source_height = dec->height();
    report.source_depth = dec->bit_depth();
    report.source_sar_num = dec->sample_aspect_ratio().num;
    report.source_sar_den = dec->sample_aspect_ratio().den;
    report.transfer = transfer_name(dec->color_transfer());
    decide();
    out_fps = dec->fps() * (decimated ? 0.8 : soft_rate);
    report.fps_out = out_fps;
    if (sel.start_s > 0) start_at(sel.start_s);
  }

  // Field handling, crop, SAR and tone mapping: the options, with the source analysed where
  // they say auto.
  void decide() {
    const bool probe_fields = src.fields == FieldMode::kAuto;
    const bool probe_crop = src.crop == CropMode::kAuto;
    SourceAnalysis a;
    if (probe_fields || probe_crop) a = analyse_source(path, probe_fields, probe_crop);
    std::vector<std::string> parts;

    FieldMode fields = probe_fields ? a.fields.mode : src.fields;
    decimate = probe_fields ? a.fields.decimate : true;  // a forced IVTC assumes 3:2 pulldown
    soft_telecine = probe_fields && a.fields.soft_telecine;
    if (soft_telecine) soft_rate = a.fields.soft_rate;
    report.fields_evidence = probe_fields ? a.fields.evidence : "set by the options";
    if (fields == FieldMode::kIvtc) {
      // Frames that field matching cannot make whole (video inserts in film) are flagged
      // interlaced by fieldmatch and deinterlaced by bwdif; the rest pass untouched.
      parts.push_back("fieldmatch=order=auto:combmatch=full");
      parts.push_back("bwdif=mode=send_frame:parity=auto:deint=interlaced");
      if (decimate) parts.push_back("decimate");
      decimated = decimate;
      report.fields = decimate ? "ivtc (3:2 pulldown: field matching, decimation)"
                               : "ivtc (2:2: field matching)";
    } else if (fields == FieldMode::kDeinterlace) {
      parts.push_back("bwdif=mode=send_frame:parity=auto:deint=all");
      report.fields = "deinterlace (bwdif)";
      report.warnings.push_back(
          "truly interlaced video: frames are deinterlaced with bwdif and are not clean HQ");
    } else {
      report.fields =
          soft_telecine ? "soft-telecine (coded film frames; repeat flags ignored)" : "progressive";
    }

    CropBox crop = src.crop == CropMode::kManual ? src.crop_box : a.crop.box;
    report.crop_evidence = probe_crop                      ? a.crop.evidence
                           : src.crop == CropMode::kManual ? "set by the options"
                                                           : "cropping off";
    if (src.crop == CropMode::kNone) crop = {};
    int w = dec->width(), h = dec->height();
    if (!crop.empty()) {
      if (crop.x + crop.width > w || crop.y + crop.height > h)
        throw InputError(fmt::format("video '{}': crop {}:{}:{}:{} does not fit in {}x{}", path,
                                     crop.width, crop.height, crop.x, crop.y, w, h));
      parts.push_back(fmt::format("crop={}:{}:{}:{}", crop.width, crop.height, crop.x, crop.y));
      w = crop.width, h = crop.height;
    }
    report.crop = crop;

    const AVRational sar = dec->sample_aspect_ratio();
    report.sar_num = sar.num, report.sar_den = sar.den;
    if (src.sar == SarMode::kSquare && sar.num != sar.den) {
      // Never fewer pixels: wide pixels widen the picture, tall ones heighten it.
      const double r = av_q2d(sar);
      if (r > 1)
        w = even(w * r);
      else
        h = even(h / r);
      parts.push_back(fmt::format("scale={}:{}:flags={}+accurate_rnd+full_chroma_int,setsar=1", w,
                                  h, src.sar_filter));
      report.sar_num = report.sar_den = 1;
      report.sar_action = fmt::format("square ({} to {}x{})", src.sar_filter, w, h);
    } else {
      report.sar_action = sar.num == sar.den ? "keep (square pixels)" : "keep (recorded)";
    }

    if (sel.scene_threshold > 0) parts.push_back("scdet=threshold=100:sc_pass=0");

    const bool hdr = report.transfer != "sdr";
    if (hdr && src.hdr == HdrMode::kKeep) {
      report.hdr_action = "keep (16-bit, BT.2020 " + report.transfer + ", tagged cICP)";
    } else if (hdr) {
      std::string op =
          "tonemap=tonemap=" + src.tonemap + fmt::format(":desat={}", src.tonemap_desat);
      if (src.tonemap_param >= 0) op += fmt::format(":param={}", src.tonemap_param);
      if (src.tonemap_peak > 0) op += fmt::format(":peak={}", src.tonemap_peak);
      parts.push_back(fmt::format("zscale=transfer=linear:npl={},format=gbrpf32le", src.npl));
      parts.push_back("zscale=primaries=bt709," + op);
      parts.push_back("zscale=transfer=bt709,format=gbrpf32le");
      report.hdr_action = fmt::format("tonemap ({} to SDR BT.709: {}, npl {})", report.transfer,
                                      src.tonemap, src.npl);
    }
    report.width = w, report.height = h;
    report.depth = report.source_depth > 8 || hdr ? 16 : 8;

    chain.clear();
    for (const auto& p : parts) chain += (chain.empty() ? "" : ",") + p;
    report.filter_chain = chain;
    spdlog::info("video '{}': fields: {} [{}]", path, report.fields, report.fields_evidence);
    if (probe_crop || !crop.empty())
      spdlog::info("video '{}': crop: {} [{}]", path,
                   crop.empty()
                       ? std::string("none")
                       : fmt::format("{}:{}:{}:{}", crop.width, crop.height, crop.x, crop.y),
                   report.crop_evidence);
    if (hdr) spdlog::info("video '{}': HDR: {}", path, report.hdr_action);
    if (sar.num != sar.den)
      spdlog::info("video '{}': pixel aspect {}:{}: {}", path, sar.num, sar.den, report.sar_action);
    for (const auto& w : report.warnings) spdlog::warn("video '{}': {}", path, w);
  }

  // A cut: decoding restarts at a keyframe before the first wanted frame, and the filters get a
  // warm-up stretch first, so they decide as they would have in a decode from the start (IVTC's
  // five-frame decimation cycles stay aligned to the file's first frame).
  void start_at(double start_s) {
    const int64_t first = std::max<int64_t>(0, std::llround(start_s * dec->fps()));
    int64_t from = first;
    if (decimated)
      from = std::max<int64_t>(0, (first / 5 - 1) * 5);
    else if (!chain.empty())
      from = std::max<int64_t>(0, first - 3);
    if (from == 0) return;
    feed_from = from;
    dec->seek(from / dec->fps());
  }

  void build_graph(const AVFrame* f) {
    FilterInput in;
    in.width = f->width, in.height = f->height, in.pix_fmt = f->format;
    in.time_base = dec->time_base(), in.frame_rate = dec->frame_rate();
    in.sar = dec->sample_aspect_ratio();
    graph = std::make_unique<FilterGraph>(in, chain, path);
    const AVRational rate = graph->frame_rate();
    if (rate.num > 0 && rate.den > 0) out_fps = report.fps_out = av_q2d(rate);
  }

  // The next frame through the filters (or straight from the decoder when there are none).
  AvFramePtr next_frame(double& time_s) {
    for (;;) {
      if (graph) {
        if (AvFramePtr f = graph->pull()) {
          const int64_t pts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
          time_s = pts == AV_NOPTS_VALUE ? NAN
                                         : pts * av_q2d(graph->time_base()) - dec->start_offset_s();
          return f;
        }
      }
      if (decoder_done) return nullptr;
      AvFramePtr f = dec->next();
      if (!f) {
        decoder_done = true;
        if (!graph) return nullptr;
        graph->push_end();
        continue;
      }
      if (feed_from > 0 && dec->index_of(f.get()) < feed_from) continue;
      if (chain.empty()) {
        time_s = dec->time_of(f.get());
        return f;
      }
      if (!graph) build_graph(f.get());
      graph->push(f.get());
    }
  }

  bool decode_one() {
    double time_s = NAN;
    AvFramePtr frame = next_frame(time_s);
    if (!frame) return false;
    Decoded d;
    // Frame numbers come from timestamps (so they survive a seek), kept strictly increasing.
    int64_t index = last_index + 1;
    if (!std::isnan(time_s)) index = std::llround(time_s * out_fps);
    d.index = std::max(index, last_index + 1);
    d.time_s = !std::isnan(time_s) ? time_s : d.index / out_fps;
    last_index = d.index;
    if (sel.scene_threshold > 0) {
      const std::string score = frame_metadata(frame.get(), "lavfi.scd.score");
      d.scene_score = score.empty() ? 0 : std::stod(score) / 100;
    }
    d.frame = std::move(frame);
    queue.push_back(std::move(d));
    return true;
  }

  // RGB of a queued frame (converted once; the AVFrame is released after): float [0,1], or the
  // native 8/16-bit samples.
  const cv::Mat& rgb_of(Decoded& d) {
    if (!d.rgb.empty()) return d.rgb;
    const AVFrame* f = d.frame.get();
    if (f->format == AV_PIX_FMT_GBRPF32) {  // tone-mapped: planar float G, B, R
      cv::Mat planes[3];
      const int order[3] = {2, 0, 1};  // R is plane 2, G plane 0, B plane 1
      for (int c = 0; c < 3; ++c)
        planes[c] = cv::Mat(f->height, f->width, CV_32F, f->data[order[c]], f->linesize[order[c]]);
      cv::Mat rgb;
      cv::merge(planes, 3, rgb);
      cv::min(cv::max(rgb, 0.0), 1.0, rgb);
      if (native)
        rgb.convertTo(d.rgb, CV_16U, 65535.0);
      else
        d.rgb = rgb;
      d.frame.reset();
      return d.rgb;
    }
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
    if (native)
      d.rgb = packed;
    else
      packed.convertTo(d.rgb, CV_32F, deep ? 1.0 / 65535 : 1.0 / 255);
    d.frame.reset();
    return d.rgb;
  }

  // Makes sure the queue holds `n` frames (fewer at the end of the file).
  void fill_queue(size_t n) {
    while (queue.size() < n && !finished) {
      if (!decode_one()) {
        finished = true;
        if (dec->looks_truncated())
          dec->warn(fmt::format(
              "the file's packets end at {:.3f} s of the {:.3f} s declared: "
              "truncated?",
              std::max(0.0, queue.empty() ? 0 : queue.back().time_s), dec->duration_s()));
      }
    }
  }

  bool selected(Decoded& d) {
    const bool first = seen_in_range++ == 0;
    const bool pick = sel.scene_threshold > 0 ? (first || d.scene_score > sel.scene_threshold)
                                              : (seen_in_range - 1) % std::max(1, sel.every) == 0;
    if (!pick) return false;
    if (sel.dedup_distance < 0) return true;
    cv::Mat rgb = rgb_of(d);
    if (rgb.depth() != CV_32F)
      rgb.convertTo(rgb, CV_32F, rgb.depth() == CV_8U ? 1 / 255.0 : 1 / 65535.0);
    const uint64_t hash = perceptual_hash(rgb);
    if (have_hash && hamming_distance(hash, last_hash) <= sel.dedup_distance) return false;
    have_hash = true, last_hash = hash;
    return true;
  }
};

VideoReader::VideoReader(const std::string& path, FrameSelection sel, SourceOptions source)
    : s_(std::make_unique<State>()) {
  s_->path = path;
  s_->sel = sel;
  s_->src = source;
  if (sel.every < 1) throw InputError("video '" + path + "': every must be >= 1");
  if (sel.end_s > 0 && sel.end_s <= sel.start_s)
    throw InputError("video '" + path + "': end time must come after start time");
  try {
    check_tonemap(source);
  } catch (const std::invalid_argument& e) {
    throw InputError("video '" + path + "': " + e.what());
  }
  s_->open();
}

VideoReader::~VideoReader() = default;

void VideoReader::set_native_pixels(bool on) {
  s_->native = on;
}

bool VideoReader::next(VideoFrame& out, std::vector<cv::Mat>* following, int following_count) {
  State& s = *s_;
  const double half_frame = 0.5 / s.out_fps;
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
    out.bit_depth = s.report.source_depth;
    out.scene_score = d.scene_score;
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
  return s_->dec->warnings();
}
double VideoReader::fps() const {
  return s_->out_fps;
}
int VideoReader::width() const {
  return s_->report.width;
}
int VideoReader::height() const {
  return s_->report.height;
}
int VideoReader::bit_depth() const {
  return s_->report.source_depth;
}
double VideoReader::duration_s() const {
  return s_->dec->duration_s();
}
int64_t VideoReader::frames_decoded() const {
  return s_->dec->frames_decoded();
}
const SourceReport& VideoReader::report() const {
  return s_->report;
}

PngTags VideoReader::png_tags() const {
  PngTags t;
  const SourceReport& r = s_->report;
  if (r.sar_num != r.sar_den && r.sar_num > 0 && r.sar_den > 0)
    t.aspect_x = static_cast<uint32_t>(r.sar_num), t.aspect_y = static_cast<uint32_t>(r.sar_den);
  if (r.transfer != "sdr" && r.hdr_action.rfind("keep", 0) == 0) {
    t.has_cicp = true;  // BT.2020 primaries, PQ (16) or HLG (18), RGB, full range
    t.cicp[0] = 9, t.cicp[1] = r.transfer == "pq" ? 16 : 18, t.cicp[2] = 0, t.cicp[3] = 1;
  }
  return t;
}

bool is_video_file(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* e :
       {".mkv", ".mp4",  ".m4v", ".mov", ".webm", ".avi", ".m2ts", ".mts",  ".m2t", ".ts",  ".vob",
        ".mpg", ".mpeg", ".m2v", ".wmv", ".flv",  ".y4m", ".264",  ".h264", ".265", ".hevc"})
    if (ext == e) return true;
  return false;
}

std::string frame_name(const std::string& video_path, int64_t index) {
  return fmt::format("{}_{:06d}", std::filesystem::path(video_path).stem().string(), index);
}

}  // namespace pf::io

#include "io/source_probe.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>

#include "io/filter_graph.h"
#include "io/video_decoder.h"

namespace pf::io {

namespace {

// Below this share of combed frames (idet's single-frame verdicts) a source is progressive.
constexpr double kCombedProgressive = 0.10;
// Field matching must leave at most this share combed for the source to count as telecined.
constexpr double kCombedAfterMatch = 0.15;
// 3:2 pulldown repeats a field in two frames of five; 2:2 (PAL film) repeats none.
constexpr double kRepeatedForDecimate = 0.12;
// Two repeated fields in five frames, nearly all of them: 3:2 pulldown whatever else idet says.
constexpr double kRepeatedCadence = 0.3;
// Flagged repeats (soft telecine) on this share of frames: the coded frames are the film frames.
constexpr double kSoftTelecine = 0.10;
// Frames coded progressive are taken for interlaced only if idet finds this share combed.
constexpr double kCombedUncoded = 0.6;
constexpr int kMinDetermined = 12;  // fewer frames with a verdict: too little motion to tell
// cropdetect's threshold: limited-range black is 16/255; grain on bars stays under 24.
constexpr double kBlackLimit = 24.0 / 255;

struct IdetCounts {
  int tff = 0, bff = 0, progressive = 0, undetermined = 0, repeated = 0, frames = 0;
  void add(const AVFrame* f) {
    const std::string v = frame_metadata(f, "lavfi.idet.single.current_frame");
    tff += v == "tff", bff += v == "bff", progressive += v == "progressive";
    undetermined += v == "undetermined";
    const std::string r = frame_metadata(f, "lavfi.idet.repeated.current_frame");
    repeated += r == "top" || r == "bottom";
    ++frames;
  }
  int determined() const { return tff + bff + progressive; }
  double combed() const { return determined() ? double(tff + bff) / determined() : 0; }
  double repeated_share() const { return frames ? double(repeated) / frames : 0; }
  void operator+=(const IdetCounts& o) {
    tff += o.tff, bff += o.bff, progressive += o.progressive, undetermined += o.undetermined;
    repeated += o.repeated, frames += o.frames;
  }
};

struct Box {
  int x1 = INT_MAX, y1 = INT_MAX, x2 = -1, y2 = -1, frames = 0;
  void add(const AVFrame* f) {
    const auto get = [&](const char* k) {
      const std::string v = frame_metadata(f, k);
      return v.empty() ? -1 : std::stoi(v);
    };
    const int a = get("lavfi.cropdetect.x1"), b = get("lavfi.cropdetect.x2");
    const int c = get("lavfi.cropdetect.y1"), d = get("lavfi.cropdetect.y2");
    if (a < 0 || c < 0 || b < a || d < c) return;  // an all-black frame says nothing
    x1 = std::min(x1, a), x2 = std::max(x2, b), y1 = std::min(y1, c), y2 = std::max(y2, d);
    ++frames;
  }
};

// The graphs one stretch's frames go through: continuity matters to fieldmatch, so each
// stretch starts fresh ones.
struct StretchGraphs {
  std::unique_ptr<FilterGraph> idet, matched, crop;
  IdetCounts before, after;
  void push(const AVFrame* f, Box& box) {
    for (auto* g : {idet.get(), matched.get(), crop.get()})
      if (g) g->push(f);
    drain(box);
  }
  void end(Box& box) {
    for (auto* g : {idet.get(), matched.get(), crop.get()})
      if (g) g->push_end();
    drain(box);
  }
  void drain(Box& box) {
    if (idet)
      while (auto f = idet->pull()) before.add(f.get());
    if (matched)
      while (auto f = matched->pull()) after.add(f.get());
    if (crop)
      while (auto f = crop->pull()) box.add(f.get());
  }
};

std::string percent(double share) {
  return fmt::format("{:.0f} %", 100 * share);
}

FieldAnalysis decide_fields(const IdetCounts& before, const IdetCounts& after, int soft_repeats,
                            int repeated_fields, int coded_interlaced, int frames,
                            const std::string& stretches) {
  FieldAnalysis a;
  if (frames > 0) {
    // Each repeated field shows a coded frame for half a frame time longer; 3:2 gives 4/5.
    a.soft_rate = frames / (frames + 0.5 * repeated_fields);
    if (std::abs(a.soft_rate - 0.8) < 0.01) a.soft_rate = 0.8;
  }
  const double soft = frames ? double(soft_repeats) / frames : 0;
  const double combed = before.combed(), combed_after = after.combed();
  a.evidence = fmt::format(
      "idet on {} frames: combed {} (tff {}, bff {}, progressive {}, undetermined {}), repeated "
      "fields {}; after fieldmatch combed {}; coded as fields {}; soft repeat-field flags on {} "
      "of frames{}",
      before.frames, percent(combed), before.tff, before.bff, before.progressive,
      before.undetermined, percent(before.repeated_share()), percent(combed_after),
      percent(frames ? double(coded_interlaced) / frames : 0), percent(soft), stretches);
  // Repeat flags on frames coded progressive: the coded frames are the film's, whatever idet
  // makes of them, and the flags are ignored.
  if (soft >= kSoftTelecine && coded_interlaced < kSoftTelecine * frames) {
    a.soft_telecine = true;
    return a;
  }
  if (before.determined() < kMinDetermined || combed < kCombedProgressive) return a;
  // Telecine: field matching leaves (almost) nothing combed, or the 3:2 cadence's repeated
  // fields show on their own (idet's combing verdicts after matching are swayed by the coding
  // noise of interlaced encodes, its repeated-field verdicts much less).
  const bool cadence = before.repeated_share() >= kRepeatedCadence;
  if ((combed_after <= kCombedAfterMatch && combed_after < 0.5 * combed) || cadence) {
    a.mode = FieldMode::kIvtc;
    a.decimate = before.repeated_share() >= kRepeatedForDecimate;
    return a;
  }
  // Combing that field matching cannot fix. Video is deinterlaced when coded as fields (MBAFF,
  // PAFF, field pictures: how interlaced video is encoded) or when idet finds most frames
  // combed; sharp synthetic detail on progressive frames fools idet on a minority of them.
  const double all_combed = before.frames ? double(before.tff + before.bff) / before.frames : 0;
  if (coded_interlaced * 2 >= frames || all_combed >= kCombedUncoded)
    a.mode = FieldMode::kDeinterlace;
  return a;
}

}  // namespace

SourceAnalysis analyse_source(const std::string& path, bool fields, bool crop, int stretches,
                              int stretch_frames) {
  VideoDecoder dec(path);
  const double duration = dec.duration_s();
  const double stretch_s = stretch_frames / dec.fps();
  // A short file is read whole, in one stretch; one of unknown length (a raw elementary stream)
  // from its start, as many frames as the stretches would have been.
  if (duration <= 0)
    stretch_frames *= stretches, stretches = 1;
  else if (duration <= stretches * stretch_s * 1.5)
    stretches = 1, stretch_frames = INT_MAX;

  IdetCounts before, after;
  Box box;
  int soft_repeats = 0, repeated_fields = 0, coded_interlaced = 0, frames = 0;
  std::string per_stretch;
  for (int s = 0; s < stretches; ++s) {
    if (stretches > 1) dec.seek(duration * (s + 0.5) / stretches - stretch_s / 2);
    StretchGraphs g;
    int n = 0;
    for (AvFramePtr f; n < stretch_frames && (f = dec.next()); ++n) {
      if (!g.idet && !g.crop) {
        FilterInput in;
        in.width = f->width, in.height = f->height, in.pix_fmt = f->format;
        in.time_base = dec.time_base(), in.frame_rate = dec.frame_rate();
        in.sar = dec.sample_aspect_ratio();
        if (fields) {
          g.idet = std::make_unique<FilterGraph>(in, "idet", path);
          g.matched =
              std::make_unique<FilterGraph>(in, "fieldmatch=order=auto:combmatch=full,idet", path);
        }
        if (crop)
          g.crop = std::make_unique<FilterGraph>(
              in, fmt::format("cropdetect=limit={:.6f}:round=2:reset=1:skip=0", kBlackLimit), path);
      }
      soft_repeats += f->repeat_pict > 0;
      repeated_fields += std::max(0, f->repeat_pict);
      coded_interlaced += f->interlaced_frame != 0;
      ++frames;
      g.push(f.get(), box);
    }
    g.end(box);
    if (fields && stretches > 1)
      per_stretch += fmt::format("{}{}: combed {} -> {}", per_stretch.empty() ? "" : "; ", s + 1,
                                 percent(g.before.combed()), percent(g.after.combed()));
    before += g.before;
    after += g.after;
  }

  SourceAnalysis a;
  if (fields)
    a.fields = decide_fields(before, after, soft_repeats, repeated_fields, coded_interlaced, frames,
                             per_stretch.empty() ? "" : " (stretches " + per_stretch + ")");
  if (crop) {
    const int w = dec.width(), h = dec.height();
    if (box.frames == 0) {
      a.crop.evidence = "cropdetect: every sampled frame is black; nothing cropped";
    } else {
      // Inward to even edges (4:2:0 chroma): a bar's soft edge is not kept.
      const int x = (box.x1 + 1) / 2 * 2, y = (box.y1 + 1) / 2 * 2;
      const int cw = (box.x2 + 1 - x) / 2 * 2, ch = (box.y2 + 1 - y) / 2 * 2;
      a.crop.evidence = fmt::format(
          "cropdetect (black <= {:.0f}/255) on {} frames: picture within x {}..{}, y {}..{} of "
          "{}x{}",
          kBlackLimit * 255, box.frames, box.x1, box.x2, box.y1, box.y2, w, h);
      if (cw > 0 && ch > 0 && (cw < w - 2 || ch < h - 2)) a.crop.box = {cw, ch, x, y};
    }
  }
  return a;
}

}  // namespace pf::io

// What a video source needs before its frames are clean: decided once per video from stretches
// sampled across it (discs mix film, video and interlaced inserts), with libavfilter's own
// detectors: idet (field combing and repeated fields, before and after fieldmatch) and
// cropdetect (black bars). The evidence is kept in words for the log and the records.
#pragma once
#include <string>

#include "io/source_options.h"

namespace pf::io {

struct FieldAnalysis {
  FieldMode mode = FieldMode::kProgressive;  // kProgressive, kIvtc or kDeinterlace
  bool decimate = false;                     // 3:2 pulldown: one frame in five is a repeat
  bool soft_telecine = false;                // repeat-field flags, frames coded progressive
  double soft_rate = 1;  // coded frames per displayed frame time (0.8 for 3:2 soft telecine)
  std::string evidence;
};

struct CropAnalysis {
  CropBox box;  // empty = no bars found
  std::string evidence;
};

struct SourceAnalysis {
  FieldAnalysis fields;
  CropAnalysis crop;
};

// One pass over stretches of `stretch_frames` frames at `stretches` places spread over the file
// (all of a short file): field detection and/or crop detection. Throws InputError like the reader.
SourceAnalysis analyse_source(const std::string& path, bool fields, bool crop, int stretches = 6,
                              int stretch_frames = 60);

}  // namespace pf::io

// How a disc or broadcast source is turned into clean progressive SDR frames: field handling
// (inverse telecine or deinterlacing), HDR tone mapping, black-bar cropping and anamorphic
// pixels. The same options serve `pairforge frames`, `degrade -i VIDEO` (its `video:` keys) and
// every other reader of videos; what was decided is reported (SourceReport) and recorded.
#pragma once
#include <string>
#include <vector>

namespace pf::io {

enum class FieldMode { kAuto, kProgressive, kIvtc, kDeinterlace };
enum class HdrMode { kAuto, kTonemap, kKeep };
enum class CropMode { kAuto, kNone, kManual };
enum class SarMode { kKeep, kSquare };

struct CropBox {
  int width = 0, height = 0, x = 0, y = 0;  // width 0 = no crop
  bool empty() const { return width <= 0 || height <= 0; }
};

struct SourceOptions {
  FieldMode fields = FieldMode::kAuto;
  HdrMode hdr = HdrMode::kAuto;
  // Tone mapping of PQ/HLG sources: libavfilter's `tonemap` operator between two zscale steps
  // (linear light at `npl` nits = 1.0, BT.709 primaries, then BT.709's transfer).
  std::string tonemap = "hable";  // none clip linear gamma reinhard hable mobius
  double tonemap_param = -1;      // the operator's parameter; < 0 = its default
  double tonemap_desat = 0;       // desaturation of highlights (libavfilter's default is 2)
  double tonemap_peak = 0;        // signal peak; 0 = from the stream's metadata
  double npl = 100;               // nominal peak luminance of SDR white, nits
  CropMode crop = CropMode::kAuto;
  CropBox crop_box;  // kManual's box
  SarMode sar = SarMode::kKeep;
  std::string sar_filter = "lanczos";  // swscale's: lanczos spline bicubic bilinear
};

// Parsers for the CLI values and the `video:` keys; throw std::invalid_argument with the list
// of valid values.
FieldMode parse_field_mode(const std::string& s);
HdrMode parse_hdr_mode(const std::string& s);
SarMode parse_sar_mode(const std::string& s);
void parse_crop(const std::string& s, SourceOptions& out);  // auto | none | W:H:X:Y
void check_tonemap(const SourceOptions& o);                 // operator and filter names
// The options as a JSON object (the manifest records them, so --replay reads a video frame the
// way the job did) and back; from_json throws std::invalid_argument.
std::string source_options_json(const SourceOptions& o);
SourceOptions source_options_from_json(const std::string& json);
const char* to_string(FieldMode m);
const char* to_string(HdrMode m);
const char* to_string(SarMode m);

// What the reader found and did; logged once, written to frames.json / the manifest.
struct SourceReport {
  std::string fields = "progressive";  // progressive | ivtc | deinterlace | soft-telecine
  std::string fields_evidence;         // the detector's counts, in words
  std::string transfer = "sdr";        // sdr | pq | hlg
  std::string hdr_action = "none";     // none | tonemap <op> ... | keep
  CropBox crop;
  std::string crop_evidence;
  int sar_num = 1, sar_den = 1;  // of the frames written
  int source_sar_num = 1, source_sar_den = 1;
  std::string sar_action = "keep";
  double fps_in = 0, fps_out = 0;
  int source_width = 0, source_height = 0, width = 0, height = 0;
  int source_depth = 8, depth = 8;  // bits per sample of the source and of the frames handed out
  std::string filter_chain;         // the libavfilter graph the frames went through ("" = none)
  std::vector<std::string> warnings;
  std::string to_json() const;  // one JSON object
};

}  // namespace pf::io

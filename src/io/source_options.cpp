#include "io/source_options.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace pf::io {

namespace {

template <class Enum, size_t N>
Enum parse_named(const std::string& s, const std::pair<const char*, Enum> (&names)[N],
                 const char* what) {
  std::string valid;
  for (const auto& [name, value] : names) {
    if (s == name) return value;
    valid += valid.empty() ? name : std::string(", ") + name;
  }
  throw std::invalid_argument(std::string(what) + " '" + s + "' (valid: " + valid + ")");
}

constexpr std::pair<const char*, FieldMode> kFieldNames[] = {
    {"auto", FieldMode::kAuto},
    {"progressive", FieldMode::kProgressive},
    {"ivtc", FieldMode::kIvtc},
    {"deinterlace", FieldMode::kDeinterlace}};
constexpr std::pair<const char*, HdrMode> kHdrNames[] = {
    {"auto", HdrMode::kAuto}, {"tonemap", HdrMode::kTonemap}, {"keep", HdrMode::kKeep}};
constexpr std::pair<const char*, SarMode> kSarNames[] = {{"keep", SarMode::kKeep},
                                                         {"square", SarMode::kSquare}};
enum class Dummy { kX };
constexpr std::pair<const char*, Dummy> kTonemapNames[] = {
    {"none", Dummy::kX},     {"clip", Dummy::kX},  {"linear", Dummy::kX}, {"gamma", Dummy::kX},
    {"reinhard", Dummy::kX}, {"hable", Dummy::kX}, {"mobius", Dummy::kX}};
constexpr std::pair<const char*, Dummy> kSarFilterNames[] = {
    {"lanczos", Dummy::kX}, {"spline", Dummy::kX}, {"bicubic", Dummy::kX}, {"bilinear", Dummy::kX}};

template <class Enum, size_t N>
const char* name_of(Enum v, const std::pair<const char*, Enum> (&names)[N]) {
  for (const auto& [name, value] : names)
    if (value == v) return name;
  return "?";
}

}  // namespace

FieldMode parse_field_mode(const std::string& s) {
  return parse_named(s, kFieldNames, "field mode");
}
HdrMode parse_hdr_mode(const std::string& s) {
  return parse_named(s, kHdrNames, "HDR mode");
}
SarMode parse_sar_mode(const std::string& s) {
  return parse_named(s, kSarNames, "SAR mode");
}
const char* to_string(FieldMode m) {
  return name_of(m, kFieldNames);
}
const char* to_string(HdrMode m) {
  return name_of(m, kHdrNames);
}
const char* to_string(SarMode m) {
  return name_of(m, kSarNames);
}

void parse_crop(const std::string& s, SourceOptions& out) {
  if (s == "auto" || s == "none") {
    out.crop = s == "auto" ? CropMode::kAuto : CropMode::kNone;
    return;
  }
  CropBox b;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%d:%d:%d:%d%c", &b.width, &b.height, &b.x, &b.y, &tail) != 4 ||
      b.width <= 0 || b.height <= 0 || b.x < 0 || b.y < 0)
    throw std::invalid_argument("crop '" + s + "' (valid: auto, none, or W:H:X:Y with W,H > 0)");
  out.crop = CropMode::kManual;
  out.crop_box = b;
}

void check_tonemap(const SourceOptions& o) {
  parse_named(o.tonemap, kTonemapNames, "tone-mapping operator");
  parse_named(o.sar_filter, kSarFilterNames, "SAR resampling filter");
  if (!(o.npl > 0 && o.npl <= 10000))
    throw std::invalid_argument("nominal peak luminance must be in (0, 10000] nits");
  if (!(o.tonemap_desat >= 0 && o.tonemap_desat <= 100))
    throw std::invalid_argument("tone-mapping desaturation must be in [0, 100]");
  if (!(o.tonemap_peak >= 0 && o.tonemap_peak <= 10000))
    throw std::invalid_argument("tone-mapping peak must be in [0, 10000] (0 = from metadata)");
}

std::string source_options_json(const SourceOptions& o) {
  const CropBox& b = o.crop_box;
  const std::string crop = o.crop == CropMode::kAuto ? "auto"
                           : o.crop == CropMode::kNone
                               ? "none"
                               : std::to_string(b.width) + ":" + std::to_string(b.height) + ":" +
                                     std::to_string(b.x) + ":" + std::to_string(b.y);
  return nlohmann::json{{"fields", to_string(o.fields)},
                        {"hdr", to_string(o.hdr)},
                        {"tonemap", o.tonemap},
                        {"tonemap_param", o.tonemap_param},
                        {"tonemap_desat", o.tonemap_desat},
                        {"tonemap_peak", o.tonemap_peak},
                        {"npl", o.npl},
                        {"crop", crop},
                        {"sar", to_string(o.sar)},
                        {"sar_filter", o.sar_filter}}
      .dump();
}

SourceOptions source_options_from_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw std::invalid_argument("video source options are not a JSON object");
  SourceOptions o;
  try {
    o.fields = parse_field_mode(j.at("fields").get<std::string>());
    o.hdr = parse_hdr_mode(j.at("hdr").get<std::string>());
    o.tonemap = j.at("tonemap").get<std::string>();
    o.tonemap_param = j.at("tonemap_param").get<double>();
    o.tonemap_desat = j.at("tonemap_desat").get<double>();
    o.tonemap_peak = j.at("tonemap_peak").get<double>();
    o.npl = j.at("npl").get<double>();
    parse_crop(j.at("crop").get<std::string>(), o);
    o.sar = parse_sar_mode(j.at("sar").get<std::string>());
    o.sar_filter = j.at("sar_filter").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("video source options: ") + e.what());
  }
  check_tonemap(o);
  return o;
}

std::string SourceReport::to_json() const {
  nlohmann::json j;
  j["fields"] = fields;
  j["fields_evidence"] = fields_evidence;
  j["transfer"] = transfer;
  j["hdr"] = hdr_action;
  if (!crop.empty())
    j["crop"] = {{"w", crop.width}, {"h", crop.height}, {"x", crop.x}, {"y", crop.y}};
  else
    j["crop"] = nullptr;
  j["crop_evidence"] = crop_evidence;
  j["sar"] = std::to_string(sar_num) + ":" + std::to_string(sar_den);
  j["source_sar"] = std::to_string(source_sar_num) + ":" + std::to_string(source_sar_den);
  j["sar_action"] = sar_action;
  j["fps_in"] = fps_in;
  j["fps_out"] = fps_out;
  j["source_size"] = {source_width, source_height};
  j["size"] = {width, height};
  j["source_depth"] = source_depth;
  j["depth"] = depth;
  j["filter_chain"] = filter_chain;
  j["warnings"] = warnings;
  return j.dump();
}

}  // namespace pf::io

#include "degrade/config.h"

#include <fmt/format.h>

#include "degrade/registry.h"

namespace pf::degrade {

namespace {

int64_t int_in(const std::string& file, const YAML::Node& n, int64_t lo, int64_t hi,
               const std::string& key) {
  const int64_t v = yaml_int(file, n);
  if (v < lo || v > hi)
    yaml_fail(file, n,
              key + " = " + std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
  return v;
}

double double_in(const std::string& file, const YAML::Node& n, double lo, double hi,
                 const std::string& key) {
  const double v = yaml_double(file, n);
  if (v < lo || v > hi)
    yaml_fail(file, n,
              key + " = " + n.Scalar() + fmt::format(" is out of range [{:g}, {:g}]", lo, hi));
  return v;
}

VideoOptions parse_video(const std::string& file, const YAML::Node& n) {
  yaml_check_keys(file, n,
                  {"every", "scene_threshold", "dedup_distance", "start", "end", "context_frames",
                   "fields", "hdr", "tonemap", "tonemap_param", "tonemap_desat", "tonemap_peak",
                   "npl", "crop", "sar", "sar_filter"},
                  "video");
  VideoOptions v;
  if (n["every"]) v.every = static_cast<int>(int_in(file, n["every"], 1, 100000, "every"));
  if (n["scene_threshold"])
    v.scene_threshold = double_in(file, n["scene_threshold"], 0, 1, "scene_threshold");
  if (n["dedup_distance"])
    v.dedup_distance =
        static_cast<int>(int_in(file, n["dedup_distance"], -1, 64, "dedup_distance"));
  if (n["start"]) v.start_s = double_in(file, n["start"], 0, 1e7, "start");
  if (n["end"]) v.end_s = double_in(file, n["end"], 0, 1e7, "end");
  if (n["context_frames"])
    v.context_frames = static_cast<int>(int_in(file, n["context_frames"], 0, 64, "context_frames"));
  // The source keys share io/source_options.h's parsers with the CLI; their messages list the
  // valid values.
  io::SourceOptions& src = v.source;
  const auto parsed = [&](const char* key, auto parse) {
    if (!n[key]) return;
    try {
      parse(yaml_string(file, n[key]));
    } catch (const std::invalid_argument& e) {
      yaml_fail(file, n[key], std::string(key) + ": " + e.what());
    }
  };
  parsed("fields", [&](const std::string& s) { src.fields = io::parse_field_mode(s); });
  parsed("hdr", [&](const std::string& s) { src.hdr = io::parse_hdr_mode(s); });
  parsed("sar", [&](const std::string& s) { src.sar = io::parse_sar_mode(s); });
  parsed("crop", [&](const std::string& s) { io::parse_crop(s, src); });
  if (n["tonemap"]) src.tonemap = yaml_string(file, n["tonemap"]);
  if (n["sar_filter"]) src.sar_filter = yaml_string(file, n["sar_filter"]);
  if (n["tonemap_param"])
    src.tonemap_param = double_in(file, n["tonemap_param"], -1, 1e4, "tonemap_param");
  if (n["tonemap_desat"])
    src.tonemap_desat = double_in(file, n["tonemap_desat"], 0, 100, "tonemap_desat");
  if (n["tonemap_peak"])
    src.tonemap_peak = double_in(file, n["tonemap_peak"], 0, 1e4, "tonemap_peak");
  if (n["npl"]) src.npl = double_in(file, n["npl"], 1, 1e4, "npl");
  try {
    io::check_tonemap(src);
  } catch (const std::invalid_argument& e) {
    yaml_fail(file, n[n["tonemap"] ? "tonemap" : n["sar_filter"] ? "sar_filter" : "npl"], e.what());
  }
  return v;
}

}  // namespace

DegradeConfig DegradeConfig::parse(const YamlDoc& doc) {
  const std::string& file = doc.file;
  const YAML::Node& root = doc.root;
  if (!root.IsMap()) yaml_fail(file, root, "a degradation config is a mapping with `pipeline:`");
  yaml_check_keys(
      file, root,
      {"description", "scale", "seed", "variants", "gt_size", "tile_step", "flat_threshold",
       "alpha", "background", "depth", "final_resize", "video", "pipeline"},
      "the config");
  DegradeConfig c;
  c.file = file;
  if (root["description"]) c.description = yaml_string(file, root["description"]);
  if (root["scale"]) c.scale = static_cast<int>(int_in(file, root["scale"], 1, 16, "scale"));
  if (root["seed"]) c.seed = static_cast<uint64_t>(yaml_int(file, root["seed"]));
  if (root["variants"])
    c.variants = static_cast<int>(int_in(file, root["variants"], 1, 1000, "variants"));
  if (root["gt_size"]) {
    c.gt_size = static_cast<int>(int_in(file, root["gt_size"], 0, 16384, "gt_size"));
    if (c.gt_size % c.scale != 0)
      yaml_fail(file, root["gt_size"],
                "gt_size must be a multiple of scale (" + std::to_string(c.scale) + ")");
  }
  if (root["tile_step"])
    c.tile_step = static_cast<int>(int_in(file, root["tile_step"], 1, 16384, "tile_step"));
  if (root["flat_threshold"])
    c.flat_threshold = double_in(file, root["flat_threshold"], 0, 1, "flat_threshold");
  if (root["alpha"]) {
    c.alpha = yaml_string(file, root["alpha"]);
    if (c.alpha != "carry" && c.alpha != "composite")
      yaml_fail(file, root["alpha"], "alpha must be carry or composite");
  }
  if (const YAML::Node bg = root["background"]) {
    if (!bg.IsSequence() || bg.size() != 3)
      yaml_fail(file, bg, "background is [r, g, b] in [0, 1]");
    for (int i = 0; i < 3; ++i) c.background[i] = double_in(file, bg[i], 0, 1, "background");
  }
  if (root["depth"]) {
    c.depth = static_cast<int>(yaml_int(file, root["depth"]));
    if (c.depth != 8 && c.depth != 16) yaml_fail(file, root["depth"], "depth must be 8 or 16");
  }
  if (root["video"]) c.video = parse_video(file, root["video"]);
  if (!root["pipeline"]) yaml_fail(file, root, "the config needs a `pipeline:` list");
  c.pipeline = Pipeline::parse(root["pipeline"], file);
  if (find_op("resize")) {
    const YAML::Node fr = root["final_resize"];
    c.final_resize = Pipeline::parse_op("resize", fr ? fr : root, fr, file);
  } else if (root["final_resize"]) {
    yaml_fail(file, root["final_resize"], "final_resize needs the resize operator");
  }
  return c;
}

DegradeConfig DegradeConfig::load(const std::string& path) {
  return parse(load_yaml_file(path));
}

}  // namespace pf::degrade

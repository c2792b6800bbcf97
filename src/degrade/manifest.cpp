#include "degrade/manifest.h"

#include <climits>
#include <cstdint>
#include <fstream>

#include "core/error.h"
#include "core/input_file.h"
#include "core/safe_name.h"
#include "degrade/registry.h"
#include "io/source_options.h"

namespace pf::degrade {

using nlohmann::json;

static json value_to_json(const Value& v) {
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;  // nlohmann writes round-trip doubles
  return std::get<std::string>(v);
}

// An integer field in [lo, hi]. Not get<int>(): nlohmann converts a float (3e84) with a cast that
// is undefined out of range, and an integer past int's range wraps into a valid-looking one.
static int64_t integer_in(const json& v, int64_t lo, int64_t hi, const std::string& field) {
  // nlohmann keeps non-negative integers as unsigned, negative ones as signed.
  bool in_range = false;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(hi) && (lo <= 0 || u >= static_cast<uint64_t>(lo));
  } else if (v.is_number_integer()) {
    in_range = v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
  }
  if (!in_range)
    throw InputError(field + " " + v.dump() + " is not an integer in [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "]");
  return v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
}

static int int_in(const json& v, int lo, int hi, const std::string& field) {
  return static_cast<int>(integer_in(v, lo, hi, field));
}

static Value value_from_json(const json& j, const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kBool:
      return j.get<bool>();
    case ParamType::kInt:  // the range is the table's, checked by the caller
      return integer_in(j, INT64_MIN, INT64_MAX, spec.name);
    case ParamType::kFloat:
      return j.get<double>();
    case ParamType::kChoice:
    case ParamType::kString:
      return j.get<std::string>();
  }
  return {};
}

// File names are bytes: one that is not UTF-8 (which JSON cannot hold) is written readable with
// \xNN escapes under `key`, and exactly as hex under `key`_hex, which readers prefer.
static void put_name(json& j, const std::string& key, const std::string& value) {
  if (is_valid_utf8(value)) {
    j[key] = value;
  } else {
    j[key] = escape_invalid_utf8(value);
    j[key + "_hex"] = to_hex(value);
  }
}

static std::string get_name(const json& j, const std::string& key) {
  const auto hex = j.find(key + "_hex");
  if (hex != j.end()) return from_hex(hex->get<std::string>(), key + "_hex");
  return j.at(key).get<std::string>();
}

json to_json(const PairRecord& r) {
  json steps = json::array();
  for (const auto& s : r.steps) {
    // Only the parameters that matter for this draw (ParamSpec::relevant_when); replay gives
    // the others their defaults.
    const OpInfo* info = find_op(s.op);
    json params = json::object();
    for (size_t i = 0; i < s.values.size(); ++i)
      if (!info || i >= info->params.size() || is_relevant(info->params[i], s.values))
        params[s.values[i].first] = value_to_json(s.values[i].second);
    // Seeds are 64-bit: stored as strings so no JSON reader rounds them through a double.
    steps.push_back({{"op", s.op}, {"seed", std::to_string(s.seed)}, {"params", params}});
  }
  json j = json::object();
  put_name(j, "name", r.name);
  put_name(j, "input_root", r.input_root);
  put_name(j, "source", r.source);
  j["crop"] = {r.crop.x, r.crop.y, r.crop.width, r.crop.height};
  j["variant"] = r.variant, j["seed"] = std::to_string(r.seed);
  j["scale"] = r.scale, j["alpha"] = r.alpha;
  j["depth"] = r.depth, j["steps"] = steps;
  if (r.alpha == "composite") j["background"] = r.background;
  if (r.frame >= 0) j["frame"] = r.frame, j["next_frames"] = r.next_frames;
  if (r.frame >= 0 && !r.video_source.empty())
    j["video_source"] = nlohmann::json::parse(r.video_source);
  return j;
}

PairRecord pair_record_from_json(const json& j, const std::string& where) {
  // A manifest is an input like any other (it may be edited, or come from elsewhere): every
  // field is checked against what a run can have written, every parameter against its table,
  // so a replay never hands an operator a value its config parser would have refused.
  const auto bad = [&](const std::string& what) {
    throw InputError(where + ": malformed manifest record: " + what);
  };
  try {
    PairRecord r;
    if (!j.is_object()) bad("not a JSON object");
    r.name = get_name(j, "name");
    // The name becomes OUT/hq/<name>.png on replay: it must not lead out of OUT.
    if (!is_contained_name(r.name))
      bad("name '" + escape_invalid_utf8(r.name) +
          "' is not a plain relative name (absolute, '..', '.', an empty part, a backslash or a "
          "control character): it would write outside the output folder");
    r.input_root = get_name(j, "input_root");
    r.source = get_name(j, "source");
    r.scale = int_in(j.at("scale"), 1, 16, "scale");
    const auto& c = j.at("crop");
    if (!c.is_array() || c.size() != 4) bad("crop is not [x, y, width, height]");
    r.crop =
        cv::Rect(int_in(c[0], 0, INT_MAX, "crop x"), int_in(c[1], 0, INT_MAX, "crop y"),
                 int_in(c[2], 1, INT_MAX, "crop width"), int_in(c[3], 1, INT_MAX, "crop height"));
    // Its far corner must be an int too: the replay intersects it with the image.
    if (r.crop.x > INT_MAX - r.crop.width || r.crop.y > INT_MAX - r.crop.height ||
        r.crop.width % r.scale != 0 || r.crop.height % r.scale != 0)
      bad("crop [" + std::to_string(r.crop.x) + ", " + std::to_string(r.crop.y) + ", " +
          std::to_string(r.crop.width) + ", " + std::to_string(r.crop.height) +
          "] does not fit in an int or its sides are not multiples of the scale");
    r.variant = int_in(j.at("variant"), 0, INT_MAX, "variant");
    r.seed = std::stoull(j.at("seed").get<std::string>());
    r.alpha = j.at("alpha").get<std::string>();
    if (r.alpha != "carry" && r.alpha != "composite") bad("alpha must be carry or composite");
    r.depth = int_in(j.at("depth"), 8, 16, "depth");
    if (r.depth != 8 && r.depth != 16) bad("depth must be 8 or 16");
    if (j.contains("background")) r.background = j["background"].get<std::array<double, 3>>();
    for (double v : r.background)
      if (!(v >= 0 && v <= 1)) bad("background values must be in [0, 1]");
    if (j.contains("frame")) r.frame = integer_in(j["frame"], -1, INT64_MAX, "frame");
    if (j.contains("next_frames")) r.next_frames = int_in(j["next_frames"], 0, 64, "next_frames");
    if (j.contains("video_source")) {
      if (!j["video_source"].is_object()) bad("video_source is not an object");
      r.video_source = j["video_source"].dump();
      try {
        io::source_options_from_json(r.video_source);
      } catch (const std::invalid_argument& e) {
        bad(e.what());
      }
    }
    if (!j.at("steps").is_array()) bad("steps is not a list");
    for (const auto& s : j.at("steps")) {
      StepRecord step;
      step.op = s.at("op").get<std::string>();
      step.seed = std::stoull(s.at("seed").get<std::string>());
      const OpInfo* info = find_op(step.op);
      if (!info) bad("unknown operator '" + step.op + "'");
      const auto& params = s.at("params");
      if (!params.is_object()) bad(step.op + ": params is not an object");
      for (const auto& spec : info->params) {
        const Value v =
            params.contains(spec.name) ? value_from_json(params[spec.name], spec) : spec.def;
        try {
          spec.check(v);
        } catch (const Error& e) {
          bad(step.op + ": " + e.what());
        }
        step.values.emplace_back(spec.name, v);
      }
      r.steps.push_back(std::move(step));
    }
    return r;
  } catch (const InputError& e) {
    if (std::string(e.what()).rfind(where, 0) == 0) throw;
    throw InputError(where + ": malformed manifest record: " + e.what());
  } catch (const json::exception& e) {
    throw InputError(where + ": malformed manifest record: " + e.what());
  } catch (const std::logic_error& e) {
    throw InputError(where + ": malformed manifest record: " + e.what());
  }
}

PairRecord find_in_manifest(std::istream& in, const std::string& label, const std::string& name) {
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = label + ":" + std::to_string(line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      throw InputError(where + ": not JSON: " + e.what());
    }
    // Not j.value("name", ""): it throws on a record that is not an object or a name that is
    // not a string, which are other records' problems.
    if (!j.is_object()) continue;
    const auto it = j.find("name");
    const auto hex = j.find("name_hex");
    // A name that is not UTF-8 matches by its bytes or by its escaped, readable form.
    if (it != j.end() && it->is_string() &&
        (it->get<std::string>() == name ||
         (hex != j.end() && hex->is_string() && hex->get<std::string>() == to_hex(name))))
      return pair_record_from_json(j, where);
  }
  throw InputError("no pair named '" + name + "' in '" + label + "'");
}

PairRecord find_in_manifest(const std::string& manifest_path, const std::string& name) {
  require_regular_file(manifest_path, "manifest");  // a FIFO or /dev/zero would never end
  std::ifstream f(manifest_path);
  if (!f) throw InputError("cannot read manifest '" + manifest_path + "'");
  return find_in_manifest(f, manifest_path, name);
}

}  // namespace pf::degrade

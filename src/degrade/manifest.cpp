#include "degrade/manifest.h"

#include <fstream>

#include "core/error.h"
#include "degrade/registry.h"

namespace pf::degrade {

using nlohmann::json;

static json value_to_json(const Value& v) {
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;  // nlohmann writes round-trip doubles
  return std::get<std::string>(v);
}

static Value value_from_json(const json& j, const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kBool:
      return j.get<bool>();
    case ParamType::kInt:
      return j.get<int64_t>();
    case ParamType::kFloat:
      return j.get<double>();
    case ParamType::kChoice:
    case ParamType::kString:
      return j.get<std::string>();
  }
  return {};
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
  json j = {{"name", r.name},       {"input_root", r.input_root},
            {"source", r.source},   {"crop", {r.crop.x, r.crop.y, r.crop.width, r.crop.height}},
            {"variant", r.variant}, {"seed", std::to_string(r.seed)},
            {"scale", r.scale},     {"alpha", r.alpha},
            {"depth", r.depth},     {"steps", steps}};
  if (r.alpha == "composite") j["background"] = r.background;
  if (r.frame >= 0) j["frame"] = r.frame, j["next_frames"] = r.next_frames;
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
    r.name = j.at("name").get<std::string>();
    r.input_root = j.at("input_root").get<std::string>();
    r.source = j.at("source").get<std::string>();
    r.scale = j.at("scale").get<int>();
    if (r.scale < 1 || r.scale > 16) bad("scale " + std::to_string(r.scale) + " is not in [1, 16]");
    const auto& c = j.at("crop");
    r.crop =
        cv::Rect(c.at(0).get<int>(), c.at(1).get<int>(), c.at(2).get<int>(), c.at(3).get<int>());
    if (r.crop.x < 0 || r.crop.y < 0 || r.crop.width < 1 || r.crop.height < 1 ||
        r.crop.width % r.scale != 0 || r.crop.height % r.scale != 0)
      bad("crop [" + std::to_string(r.crop.x) + ", " + std::to_string(r.crop.y) + ", " +
          std::to_string(r.crop.width) + ", " + std::to_string(r.crop.height) +
          "] is not a rectangle whose sides are multiples of the scale");
    r.variant = j.at("variant").get<int>();
    if (r.variant < 0) bad("negative variant");
    r.seed = std::stoull(j.at("seed").get<std::string>());
    r.alpha = j.at("alpha").get<std::string>();
    if (r.alpha != "carry" && r.alpha != "composite") bad("alpha must be carry or composite");
    r.depth = j.at("depth").get<int>();
    if (r.depth != 8 && r.depth != 16) bad("depth must be 8 or 16");
    if (j.contains("background")) r.background = j["background"].get<std::array<double, 3>>();
    for (double v : r.background)
      if (!(v >= 0 && v <= 1)) bad("background values must be in [0, 1]");
    if (j.contains("frame")) r.frame = j["frame"].get<int64_t>();
    if (r.frame < -1) bad("negative frame number");
    if (j.contains("next_frames")) r.next_frames = j["next_frames"].get<int>();
    if (r.next_frames < 0 || r.next_frames > 64) bad("next_frames is not in [0, 64]");
    for (const auto& s : j.at("steps")) {
      StepRecord step;
      step.op = s.at("op").get<std::string>();
      step.seed = std::stoull(s.at("seed").get<std::string>());
      const OpInfo* info = find_op(step.op);
      if (!info) bad("unknown operator '" + step.op + "'");
      const auto& params = s.at("params");
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
    const auto it = j.find("name");
    if (it != j.end() && it->is_string() && it->get<std::string>() == name)
      return pair_record_from_json(j, where);
  }
  throw InputError("no pair named '" + name + "' in '" + label + "'");
}

PairRecord find_in_manifest(const std::string& manifest_path, const std::string& name) {
  std::ifstream f(manifest_path);
  if (!f) throw InputError("cannot read manifest '" + manifest_path + "'");
  return find_in_manifest(f, manifest_path, name);
}

}  // namespace pf::degrade

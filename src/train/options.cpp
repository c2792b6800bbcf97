#include "train/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"

namespace pf::train {

std::string show_number(double v) {
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  return fmt::format("{:.10g}", v);
}

std::string show_string(const std::string& s) {
  // Plain when YAML reads it back as the same string, quoted otherwise.
  const bool plain = !s.empty() && s.find_first_of(":#[]{},&*!|>'\"%@`") == std::string::npos &&
                     !std::isspace(static_cast<unsigned char>(s.front())) &&
                     !std::isspace(static_cast<unsigned char>(s.back())) && s != "~" &&
                     s != "null" && s != "true" && s != "false";
  if (plain) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

std::string range_text(double lo, double hi) {
  if (std::isinf(lo) && std::isinf(hi)) return "";
  if (std::isinf(hi)) return ">= " + show_number(lo);
  if (std::isinf(lo)) return "<= " + show_number(hi);
  return "[" + show_number(lo) + ", " + show_number(hi) + "]";
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

double read_number(const YAML::Node& n, const std::string& file, const std::string& key, double lo,
                   double hi) {
  if (!n.IsScalar()) yaml_fail(file, n, key + ": expected a number");
  const double v = yaml_double(file, n);
  if (!(v >= lo && v <= hi))
    yaml_fail(file, n, key + " = " + n.Scalar() + " is out of range " + range_text(lo, hi));
  return v;
}

int64_t read_integer(const YAML::Node& n, const std::string& file, const std::string& key,
                     double lo, double hi) {
  if (!n.IsScalar()) yaml_fail(file, n, key + ": expected an integer");
  const double d = yaml_double(file, n);  // accepts 1e5 as traiNNer-redux's configs write it
  if (d != std::floor(d)) yaml_fail(file, n, key + " must be an integer, got " + n.Scalar());
  if (!(d >= lo && d <= hi))
    yaml_fail(file, n, key + " = " + n.Scalar() + " is out of range " + range_text(lo, hi));
  return static_cast<int64_t>(d);
}

bool read_flag(const YAML::Node& n, const std::string& file, const std::string& key) {
  if (!n.IsScalar()) yaml_fail(file, n, key + ": expected true or false");
  return yaml_bool(file, n);
}

static std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string read_choice(const YAML::Node& n, const std::string& file, const std::string& key,
                        const std::vector<std::string>& choices, bool any_case) {
  if (!n.IsScalar()) yaml_fail(file, n, key + ": expected text");
  const std::string v = n.Scalar();
  if (choices.empty()) return v;
  for (const auto& c : choices)
    if (v == c || (any_case && lower(v) == lower(c))) return c;
  std::string msg = key + " = '" + v + "' is not one of " + join(choices, "|");
  const std::string near = closest_name(any_case ? lower(v) : v, choices);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  yaml_fail(file, n, msg);
}

std::vector<YAML::Node> read_list(const YAML::Node& n, const std::string& file,
                                  const std::string& key, size_t min_len, size_t max_len,
                                  bool scalar_ok) {
  std::vector<YAML::Node> items;
  if (n.IsScalar() && scalar_ok) {
    items.push_back(n);
    return items;
  }
  if (!n.IsSequence()) yaml_fail(file, n, key + ": expected a list");
  for (const auto& item : n) items.push_back(item);
  if (items.size() < min_len || items.size() > max_len) {
    const std::string want =
        min_len == max_len ? std::to_string(min_len) + " items"
        : max_len == SIZE_MAX
            ? "at least " + std::to_string(min_len) + " items"
            : std::to_string(min_len) + " to " + std::to_string(max_len) + " items";
    yaml_fail(file, n, key + ": expected " + want + ", got " + std::to_string(items.size()));
  }
  return items;
}

bool same_yaml(const YAML::Node& value, const std::string& default_yaml) {
  // Scalars compare as numbers or, ignoring case, as text (false == False == FALSE).
  const YAML::Node def = YAML::Load(default_yaml);
  if (value.IsScalar() && def.IsScalar()) {
    double a = 0, b = 0;
    if (YAML::convert<double>::decode(value, a) && YAML::convert<double>::decode(def, b))
      return a == b;
    return lower(value.Scalar()) == lower(def.Scalar());
  }
  if (value.IsMap() && def.IsMap()) {
    if (value.size() != def.size()) return false;
    for (const auto& kv : def)
      if (!value[kv.first.Scalar()] || !same_yaml(value[kv.first.Scalar()], YAML::Dump(kv.second)))
        return false;
    return true;
  }
  if (value.IsSequence() && def.IsSequence()) {
    if (value.size() != def.size()) return false;
    for (size_t i = 0; i < def.size(); ++i)
      if (!same_yaml(value[i], YAML::Dump(def[i]))) return false;
    return true;
  }
  return false;
}

void fail_unknown_key(const std::string& file, const YAML::Node& key, const std::string& what,
                      const std::vector<OptionSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  std::string msg = "unknown key '" + key.Scalar() + "' in " + what;
  const std::string near = closest_name(key.Scalar(), names);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  msg += "; valid keys: " + join(names, ", ");
  yaml_fail(file, key, msg);
}

void note_no_effect(const std::string& file, const YAML::Node& key, const OptionSpec& spec,
                    const std::string& what, Warnings& warnings) {
  warnings.push_back(yaml_where(file, key) + ": " + what + "." + spec.name +
                     " has no effect in pairforge (" + spec.note + ")");
}

void fail_only_default(const std::string& file, const YAML::Node& value, const OptionSpec& spec,
                       const std::string& shown) {
  yaml_fail(file, value,
            spec.name + ": " + shown + " is not supported by pairforge (" + spec.note +
                "); supported: " + spec.default_text);
}

std::string options_markdown(const std::vector<OptionSpec>& specs) {
  std::string out = "| key | type | default | range | meaning |\n|---|---|---|---|---|\n";
  const auto cell = [](std::string s) {
    std::string r;
    for (char c : s) r += c == '|' ? std::string("\\|") : std::string(1, c);
    return r;
  };
  for (const auto& s : specs) {
    std::string meaning = s.help;
    if (s.effect == Effect::kNoEffect) meaning = "**no effect** (" + s.note + "). " + meaning;
    if (s.effect == Effect::kOnlyDefault)
      meaning = "**only `" + s.default_text + "`** (" + s.note + "). " + meaning;
    out += "| `" + s.name + "` | " + cell(s.type) + " | `" + cell(s.default_text) + "` | " +
           cell(s.range) + " | " + cell(meaning) + " |\n";
  }
  return out;
}

}  // namespace pf::train

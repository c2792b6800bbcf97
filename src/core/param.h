// Parameter declarations: one table per operator, read by the YAML loader, the range checks,
// `pairforge ops`, the manifest and replay (in the spirit of FFmpeg's AVOption tables).
#pragma once
#include <yaml-cpp/yaml.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/rng.h"
#include "core/value.h"

namespace pf {

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  Value def;
  double lo = -std::numeric_limits<double>::infinity();  // inclusive numeric range
  double hi = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // allowed values of a kChoice parameter
  std::string help;
  bool odd = false;  // integers that must be odd (kernel sizes)
  // A kString that names a file (learned operators' weights): written relative to the config
  // file's folder, so presets can ship files beside them; stored resolved (absolute), so the
  // manifest and replay do not depend on the working folder. It must exist when the config
  // is read, and a file parameter with an empty default must be given.
  bool file = false;
  // "other=a|b": the parameter only matters when parameter `other` is a or b (empty: always).
  // Read by the manifest and --explain, which leave irrelevant values out; replay then gives
  // them their default, which by this declaration changes nothing (tested for every operator).
  std::string relevant_when;
  // A kString holding encoder options "key=value:key=value" (x265-params): only these keys
  // (after "_" -> "-" and a "no-"/"no" prefix are normalised, as the encoder does), values of
  // plain characters. Option lists reach an encoder that would write files for keys such as
  // csv=, stats= or analysis-save=, so anything not known to be harmless is refused.
  std::vector<std::string> option_keys;
  // More checks of a kString value (a colour's syntax, a folder that must exist): throws
  // pf::Error with the reason, which the config loader places at the value's line:column.
  std::function<void(const std::string&)> text_check;

  std::string range_text() const;  // "[0, 255]", "one of iso|aniso", "odd in [3, 21]"
  // Throws pf::Error with a readable reason when v is outside the declared range.
  void check(const Value& v) const;

 private:
  void check_option_list(const std::string& list) const;
};

// Sampled values of one operator, in table order (that order is the manifest's).
using Values = std::vector<std::pair<std::string, Value>>;

// How a parameter is drawn per pair: a constant, a uniform range [lo, hi],
// {log_uniform: [lo, hi]} or {choice: [a, b], weights: [..]}.
class Distribution {
 public:
  enum class Kind { kConstant, kUniform, kLogUniform, kChoice };

  static Distribution constant(Value v);
  // Parses a YAML value for `spec`; throws ConfigError naming file:line:col on any problem.
  static Distribution parse(const YAML::Node& node, const ParamSpec& spec, const std::string& file);

  Value sample(Rng& rng, const ParamSpec& spec) const;
  // The largest value a sample of a numeric parameter can take.
  double upper_bound() const;
  Kind kind() const { return kind_; }
  std::string describe() const;

 private:
  Kind kind_ = Kind::kConstant;
  Value constant_;
  double lo_ = 0, hi_ = 0;
  std::vector<Value> options_;
  std::vector<double> cumulative_;  // normalised cumulative weights of options_
};

// Binds a table row to a member of an operator's params struct.
template <class P>
struct Field {
  ParamSpec spec;
  std::variant<double P::*, int P::*, bool P::*, std::string P::*> member;

  // real<P>(...).when("kernel=aniso|plateau_aniso")
  Field when(const char* condition) const {
    Field f = *this;
    f.spec.relevant_when = condition;
    return f;
  }
  Field check_text(std::function<void(const std::string&)> check) const {
    Field f = *this;
    f.spec.text_check = std::move(check);
    return f;
  }
  // text<P>(...).option_keys({"psy-rd", "sao"}): see ParamSpec::option_keys.
  Field option_keys(std::vector<std::string> keys) const {
    Field f = *this;
    f.spec.option_keys = std::move(keys);
    return f;
  }
};

// True when `spec` matters given the other sampled values (see ParamSpec::relevant_when).
bool is_relevant(const ParamSpec& spec, const Values& values);

template <class P>
Field<P> real(const char* name, double P::*m, double def, double lo, double hi, const char* help) {
  ParamSpec s;
  s.name = name, s.type = ParamType::kFloat, s.def = def, s.lo = lo, s.hi = hi, s.help = help;
  return {s, m};
}
template <class P>
Field<P> integer(const char* name, int P::*m, int def, int lo, int hi, const char* help,
                 bool odd = false) {
  ParamSpec s;
  s.name = name, s.type = ParamType::kInt, s.def = int64_t{def}, s.lo = lo, s.hi = hi;
  s.help = help, s.odd = odd;
  return {s, m};
}
template <class P>
Field<P> boolean(const char* name, bool P::*m, bool def, const char* help) {
  ParamSpec s;
  s.name = name, s.type = ParamType::kBool, s.def = def, s.help = help;
  return {s, m};
}
template <class P>
Field<P> choice(const char* name, std::string P::*m, const char* def,
                std::vector<std::string> choices, const char* help) {
  ParamSpec s;
  s.name = name, s.type = ParamType::kChoice, s.def = std::string(def);
  s.choices = std::move(choices), s.help = help;
  return {s, m};
}
template <class P>
Field<P> text(const char* name, std::string P::*m, const char* def, const char* help) {
  ParamSpec s;
  s.name = name, s.type = ParamType::kString, s.def = std::string(def), s.help = help;
  return {s, m};
}

template <class P>
Field<P> file_path(const char* name, std::string P::*m, const char* help) {
  ParamSpec s;
  s.name = name, s.type = ParamType::kString, s.def = std::string(), s.help = help, s.file = true;
  return {s, m};
}

template <class P>
std::vector<ParamSpec> specs_of(const std::vector<Field<P>>& fields) {
  std::vector<ParamSpec> out;
  for (const auto& f : fields) out.push_back(f.spec);
  return out;
}

// Fills a params struct from sampled values (missing names take the table default).
template <class P>
P bind_values(const std::vector<Field<P>>& fields, const Values& values) {
  P p{};
  for (const auto& f : fields) {
    const Value* v = &f.spec.def;
    for (const auto& [name, value] : values)
      if (name == f.spec.name) v = &value;
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(p.*member)>;
          if constexpr (std::is_same_v<T, std::string>)
            p.*member = std::get<std::string>(*v);
          else if constexpr (std::is_same_v<T, bool>)
            p.*member = std::get<bool>(*v);
          else
            p.*member = static_cast<T>(value_as_double(*v));
        },
        f.member);
  }
  return p;
}

}  // namespace pf

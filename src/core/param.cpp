#include "core/param.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <string_view>

#include "core/error.h"
#include "core/yaml_util.h"

namespace pf {

static std::string num(double v) {
  return fmt::format("{:g}", v);
}

std::string ParamSpec::range_text() const {
  switch (type) {
    case ParamType::kBool:
      return "true|false";
    case ParamType::kString: {
      if (file) return "file (relative to the config)";
      if (option_keys.empty()) return "text";
      std::string keys;
      for (const auto& k : option_keys) keys += (keys.empty() ? "" : ", ") + k;
      return "key=value:... with keys " + keys;
    }
    case ParamType::kChoice: {
      std::string s;
      for (const auto& c : choices) s += (s.empty() ? "" : "|") + c;
      return s;
    }
    case ParamType::kFloat:
    case ParamType::kInt:
      return std::string(odd ? "odd in " : "") + "[" + num(lo) + ", " + num(hi) + "]";
  }
  return "";
}

void ParamSpec::check_option_list(const std::string& list) const {
  // FFmpeg splits the list with av_get_token, which honours quotes and backslashes, and trims
  // blanks: refuse all of those, so the keys seen here are the keys the encoder sees.
  for (const char c : list)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("-_.,+=:/").find(c) == std::string_view::npos)
      throw Error(name + ": character '" + std::string(1, c) +
                  "' is not allowed in an option list (write key=value joined by ':')");
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    const std::string item = list.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    std::string key = item.substr(0, item.find('='));
    std::replace(key.begin(), key.end(), '_', '-');
    std::string base = key;
    if (base.rfind("no-", 0) == 0)
      base = base.substr(3);
    else if (base.rfind("no", 0) == 0)
      base = base.substr(2);
    if (std::find(option_keys.begin(), option_keys.end(), key) != option_keys.end() ||
        std::find(option_keys.begin(), option_keys.end(), base) != option_keys.end())
      continue;
    std::string all;
    for (const auto& k : option_keys) all += (all.empty() ? "" : ", ") + k;
    throw Error(name + ": option '" + key +
                "' is not allowed (options that name files or change threading are refused); "
                "allowed: " +
                all);
  }
}

void ParamSpec::check(const Value& v) const {
  switch (type) {
    case ParamType::kBool:
      if (!std::holds_alternative<bool>(v)) throw Error(name + " must be true or false");
      return;
    case ParamType::kString:
      if (!std::holds_alternative<std::string>(v)) throw Error(name + " must be a string");
      if (!option_keys.empty()) check_option_list(std::get<std::string>(v));
      if (text_check) text_check(std::get<std::string>(v));
      return;
    case ParamType::kChoice: {
      const auto* s = std::get_if<std::string>(&v);
      if (!s || std::find(choices.begin(), choices.end(), *s) == choices.end()) {
        std::string msg = name + " = '" + value_to_string(v) + "' is not one of " + range_text();
        if (s) {
          const std::string near = closest_name(*s, choices);
          if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        }
        throw Error(msg);
      }
      return;
    }
    case ParamType::kFloat:
    case ParamType::kInt: {
      const double d = value_as_double(v);
      if (!(d >= lo && d <= hi))
        throw Error(name + " = " + value_to_string(v) + " is out of range " + range_text());
      if (type == ParamType::kInt && odd && (static_cast<int64_t>(d) % 2) == 0)
        throw Error(name + " = " + value_to_string(v) + " must be odd " + range_text());
      return;
    }
  }
}

Distribution Distribution::constant(Value v) {
  Distribution d;
  d.kind_ = Kind::kConstant;
  d.constant_ = std::move(v);
  return d;
}

// A file parameter's path, resolved against the config file's folder and checked.
static std::string resolve_file(const YAML::Node& n, const ParamSpec& spec,
                                const std::string& file) {
  namespace fs = std::filesystem;
  const std::string written = yaml_string(file, n);
  if (written.empty()) yaml_fail(file, n, spec.name + ": empty file name");
  fs::path p(written);
  if (p.is_relative()) p = fs::path(file).parent_path() / p;
  std::error_code ec;
  const fs::path resolved = fs::absolute(p, ec).lexically_normal();
  if (ec || !fs::is_regular_file(resolved, ec))
    yaml_fail(file, n,
              spec.name + ": file '" + written + "' not found (looked for " + resolved.string() +
                  "; a relative name is relative to the config file's folder)");
  return resolved.string();
}

// Reads one scalar as a value of the spec's type.
static Value parse_scalar(const YAML::Node& n, const ParamSpec& spec, const std::string& file) {
  switch (spec.type) {
    case ParamType::kBool:
      return yaml_bool(file, n);
    case ParamType::kInt: {
      const double d = yaml_double(file, n);
      if (d != std::floor(d))
        yaml_fail(file, n, spec.name + " must be an integer, got " + n.Scalar());
      // Out of range is refused as the double it is: casting 5.1e23 to int64 is undefined (a
      // radius of 511111111111111111111111 in fuzz_degrade_config).
      if (!(d >= spec.lo && d <= spec.hi && d >= -0x1p63 && d < 0x1p63))
        yaml_fail(file, n,
                  spec.name + " = " + n.Scalar() + " is out of range " + spec.range_text());
      return static_cast<int64_t>(d);
    }
    case ParamType::kFloat:
      return yaml_double(file, n);
    case ParamType::kChoice:
    case ParamType::kString:
      return spec.file ? resolve_file(n, spec, file) : yaml_string(file, n);
  }
  return {};
}

static Value checked(const YAML::Node& n, const ParamSpec& spec, const std::string& file) {
  Value v = parse_scalar(n, spec, file);
  try {
    spec.check(v);
  } catch (const Error& e) {
    yaml_fail(file, n, e.what());
  }
  return v;
}

Distribution Distribution::parse(const YAML::Node& node, const ParamSpec& spec,
                                 const std::string& file) {
  Distribution d;
  const bool numeric = spec.type == ParamType::kFloat || spec.type == ParamType::kInt;
  auto parse_range = [&](const YAML::Node& seq, Kind kind) {
    if (!seq.IsSequence() || seq.size() != 2)
      yaml_fail(file, seq, spec.name + ": a range is written [lo, hi]");
    if (!numeric)
      yaml_fail(file, seq,
                spec.name + " is a " + param_type_name(spec.type) +
                    ", not a number: use {choice: [...]} instead of a range");
    d.kind_ = kind;
    d.lo_ = value_as_double(checked(seq[0], spec, file));
    d.hi_ = value_as_double(checked(seq[1], spec, file));
    if (d.lo_ > d.hi_) yaml_fail(file, seq, spec.name + ": range [lo, hi] has lo > hi");
    if (kind == Kind::kLogUniform && d.lo_ <= 0)
      yaml_fail(file, seq, spec.name + ": log_uniform needs lo > 0");
  };
  // `weights` is null when the YAML gave none (a default YAML::Node is a defined null node, so
  // it cannot stand for "absent").
  auto parse_choice = [&](const YAML::Node& seq, const YAML::Node* weights) {
    if (!seq.IsSequence() || seq.size() == 0)
      yaml_fail(file, seq, spec.name + ": choice needs a non-empty list");
    d.kind_ = Kind::kChoice;
    std::vector<double> w;
    for (const auto& item : seq) {
      d.options_.push_back(checked(item, spec, file));
      w.push_back(1.0);
    }
    if (weights) {
      const YAML::Node& ws = *weights;
      if (!ws.IsSequence() || ws.size() != seq.size())
        yaml_fail(file, ws,
                  spec.name + ": weights must list one number per choice (" +
                      std::to_string(seq.size()) + ")");
      for (size_t i = 0; i < w.size(); ++i) {
        w[i] = yaml_double(file, ws[i]);
        if (w[i] < 0) yaml_fail(file, ws[i], spec.name + ": weights must be >= 0");
      }
    }
    double total = 0;
    for (double x : w) total += x;
    if (!(total > 0)) yaml_fail(file, seq, spec.name + ": weights sum to zero");
    double acc = 0;
    for (double x : w) d.cumulative_.push_back(acc += x / total);
  };

  if (node.IsScalar()) {
    d.kind_ = Kind::kConstant;
    d.constant_ = checked(node, spec, file);
  } else if (node.IsSequence()) {
    if (numeric)
      parse_range(node, Kind::kUniform);
    else
      parse_choice(node, nullptr);
  } else if (node.IsMap()) {
    if (node["uniform"]) {
      yaml_check_keys(file, node, {"uniform"}, spec.name);
      parse_range(node["uniform"], Kind::kUniform);
    } else if (node["log_uniform"]) {
      yaml_check_keys(file, node, {"log_uniform"}, spec.name);
      parse_range(node["log_uniform"], Kind::kLogUniform);
    } else if (node["choice"]) {
      yaml_check_keys(file, node, {"choice", "weights"}, spec.name);
      const YAML::Node weights = node["weights"];
      parse_choice(node["choice"], weights ? &weights : nullptr);
    } else {
      yaml_check_keys(file, node, {"uniform", "log_uniform", "choice"}, spec.name);
      yaml_fail(file, node, spec.name + ": expected uniform, log_uniform or choice");
    }
  } else {
    yaml_fail(file, node, spec.name + ": empty value");
  }
  return d;
}

double Distribution::upper_bound() const {
  switch (kind_) {
    case Kind::kConstant:
      return value_as_double(constant_);
    case Kind::kUniform:
    case Kind::kLogUniform:
      return hi_;
    case Kind::kChoice: {
      double top = -std::numeric_limits<double>::infinity();
      for (const Value& v : options_) top = std::max(top, value_as_double(v));
      return top;
    }
  }
  return 0;
}

Value Distribution::sample(Rng& rng, const ParamSpec& spec) const {
  switch (kind_) {
    case Kind::kConstant:
      return constant_;
    case Kind::kChoice: {
      const double u = rng.uniform();
      for (size_t i = 0; i < options_.size(); ++i)
        if (u < cumulative_[i]) return options_[i];
      return options_.back();
    }
    case Kind::kUniform:
    case Kind::kLogUniform: {
      if (spec.type == ParamType::kInt) {
        int64_t lo = static_cast<int64_t>(lo_), hi = static_cast<int64_t>(hi_);
        if (kind_ == Kind::kLogUniform) {
          const double x = std::exp(rng.uniform(std::log(lo_), std::log(hi_ + 1)));
          return std::clamp<int64_t>(static_cast<int64_t>(std::floor(x)), lo, hi);
        }
        if (spec.odd) {  // uniform over the odd values only
          if (lo % 2 == 0) ++lo;
          if (hi % 2 == 0) --hi;
          return lo + 2 * rng.uniform_int(0, (hi - lo) / 2);
        }
        return rng.uniform_int(lo, hi);
      }
      if (kind_ == Kind::kLogUniform) return std::exp(rng.uniform(std::log(lo_), std::log(hi_)));
      return rng.uniform(lo_, hi_);
    }
  }
  return constant_;
}

std::string Distribution::describe() const {
  switch (kind_) {
    case Kind::kConstant:
      return value_to_string(constant_);
    case Kind::kUniform:
      return "[" + num(lo_) + ", " + num(hi_) + "]";
    case Kind::kLogUniform:
      return "log_uniform[" + num(lo_) + ", " + num(hi_) + "]";
    case Kind::kChoice: {
      std::string s = "choice(";
      double prev = 0;
      for (size_t i = 0; i < options_.size(); ++i) {
        s += (i ? ", " : "") + value_to_string(options_[i]) + ":" +
             fmt::format("{:.3g}", cumulative_[i] - prev);
        prev = cumulative_[i];
      }
      return s + ")";
    }
  }
  return "";
}

}  // namespace pf

namespace pf {

bool is_relevant(const ParamSpec& spec, const Values& values) {
  const std::string& cond = spec.relevant_when;
  const auto eq = cond.find('=');
  if (eq == std::string::npos) return true;
  const std::string other = cond.substr(0, eq);
  for (const auto& [name, value] : values) {
    if (name != other) continue;
    const std::string v = value_to_string(value);
    size_t start = eq + 1;
    while (start <= cond.size()) {
      const size_t bar = std::min(cond.find('|', start), cond.size());
      if (cond.compare(start, bar - start, v) == 0) return true;
      start = bar + 1;
    }
    return false;
  }
  return true;  // the deciding parameter is absent: keep the value
}

}  // namespace pf

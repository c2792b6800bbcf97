// Option tables for the training config: every key of a section is declared once (name, type,
// default, range, help, and whether pairforge uses it). The YAML reader, the errors with
// file:line:column, the key reference in configs/train/README.md and the resolved config that
// a run writes all come from these tables, as the engine's operators do with theirs.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/yaml_util.h"

namespace pf::train {

// What pairforge does with a key it knows.
enum class Effect {
  kUsed,         // read and used
  kNoEffect,     // accepted (traiNNer-redux has it); one warning names it
  kOnlyDefault,  // accepted at its default only; any other value is an error
};

struct OptionSpec {
  OptionSpec() = default;
  OptionSpec(std::string name_, std::string type_ = "", std::string default_text_ = "",
             std::string range_ = "", std::string help_ = "", Effect effect_ = Effect::kUsed,
             std::string note_ = "")
      : name(std::move(name_)),
        type(std::move(type_)),
        default_text(std::move(default_text_)),
        range(std::move(range_)),
        help(std::move(help_)),
        effect(effect_),
        note(std::move(note_)) {}

  std::string name;
  std::string type;          // "number", "integer", "true|false", "text", "list of numbers", ...
  std::string default_text;  // as YAML
  std::string range;         // "[0, 1]", "one of a|b", "" when any value of the type goes
  std::string help;
  Effect effect = Effect::kUsed;
  std::string note;  // why a key has no effect / which values are supported
};

// Collected warnings (no-effect keys, dropped alpha channels, ...), logged by the caller.
using Warnings = std::vector<std::string>;

template <class P>
struct Option {
  OptionSpec spec;
  std::function<void(P&)> reset;  // sets the declared default
  // Reads a (non-null) YAML value into p; throws ConfigError at the node on any problem.
  std::function<void(P&, const YAML::Node&, const std::string& file)> read;
  std::function<std::string(const P&)> show;  // the value as YAML flow text

  Option no_effect(const char* why) const {
    Option o = *this;
    o.spec.effect = Effect::kNoEffect;
    o.spec.note = why;
    return o;
  }
  Option only_default(const char* why) const {
    Option o = *this;
    o.spec.effect = Effect::kOnlyDefault;
    o.spec.note = why;
    return o;
  }
};

template <class P>
using OptionTable = std::vector<Option<P>>;

constexpr double kInf = std::numeric_limits<double>::infinity();

// --- readers shared by the builders (options.cpp) ---------------------------------------
double read_number(const YAML::Node& n, const std::string& file, const std::string& key, double lo,
                   double hi);
int64_t read_integer(const YAML::Node& n, const std::string& file, const std::string& key,
                     double lo, double hi);
bool read_flag(const YAML::Node& n, const std::string& file, const std::string& key);
std::string read_choice(const YAML::Node& n, const std::string& file, const std::string& key,
                        const std::vector<std::string>& choices, bool any_case);
std::vector<YAML::Node> read_list(const YAML::Node& n, const std::string& file,
                                  const std::string& key, size_t min_len, size_t max_len,
                                  bool scalar_ok);
std::string show_number(double v);
std::string show_string(const std::string& s);
std::string range_text(double lo, double hi);
std::string join(const std::vector<std::string>& items, const char* sep);

[[noreturn]] void fail_unknown_key(const std::string& file, const YAML::Node& key,
                                   const std::string& what, const std::vector<OptionSpec>& specs);
void note_no_effect(const std::string& file, const YAML::Node& key, const OptionSpec& spec,
                    const std::string& what, Warnings& warnings);
[[noreturn]] void fail_only_default(const std::string& file, const YAML::Node& value,
                                    const OptionSpec& spec, const std::string& shown);

// --- builders ---------------------------------------------------------------------------
template <class P>
Option<P> real(const char* name, double P::*m, double def, double lo, double hi, const char* help) {
  Option<P> o;
  o.spec = {name, "number", show_number(def), range_text(lo, hi), help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    p.*m = read_number(n, f, name, lo, hi);
  };
  o.show = [=](const P& p) { return show_number(p.*m); };
  return o;
}

template <class P>
Option<P> integer(const char* name, int64_t P::*m, int64_t def, double lo, double hi,
                  const char* help) {
  Option<P> o;
  o.spec = {name, "integer", std::to_string(def), range_text(lo, hi), help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    p.*m = read_integer(n, f, name, lo, hi);
  };
  o.show = [=](const P& p) { return std::to_string(p.*m); };
  return o;
}

template <class P>
Option<P> flag(const char* name, bool P::*m, bool def, const char* help) {
  Option<P> o;
  o.spec = {name, "true|false", def ? "true" : "false", "", help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) { p.*m = read_flag(n, f, name); };
  o.show = [=](const P& p) { return std::string(p.*m ? "true" : "false"); };
  return o;
}

// `any_case`: matched ignoring case (traiNNer-redux's optimiser and scheduler names), stored in
// the spelling of the table.
template <class P>
Option<P> choice(const char* name, std::string P::*m, const char* def,
                 std::vector<std::string> choices, const char* help, bool any_case = false) {
  Option<P> o;
  o.spec = {name, "text", def, "one of " + join(choices, "|"), help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    p.*m = read_choice(n, f, name, choices, any_case);
  };
  o.show = [=](const P& p) { return show_string(p.*m); };
  return o;
}

template <class P>
Option<P> text(const char* name, std::string P::*m, const char* def, const char* help) {
  Option<P> o;
  o.spec = {name, "text", *def ? def : "~", "", help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    p.*m = read_choice(n, f, name, {}, false);
  };
  o.show = [=](const P& p) { return (p.*m).empty() ? std::string("~") : show_string(p.*m); };
  return o;
}

// A list of numbers; `len` > 0 fixes its length.
template <class P>
Option<P> reals(const char* name, std::vector<double> P::*m, std::vector<double> def, double lo,
                double hi, size_t len, const char* help) {
  Option<P> o;
  std::vector<std::string> shown;
  for (double d : def) shown.push_back(show_number(d));
  o.spec = {name, len ? "list of " + std::to_string(len) + " numbers" : "list of numbers",
            "[" + join(shown, ", ") + "]", range_text(lo, hi), help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    std::vector<double> v;
    for (const auto& item : read_list(n, f, name, len ? len : 1, len ? len : SIZE_MAX, false))
      v.push_back(read_number(item, f, name, lo, hi));
    p.*m = v;
  };
  o.show = [=](const P& p) {
    std::vector<std::string> s;
    for (double d : p.*m) s.push_back(show_number(d));
    return "[" + join(s, ", ") + "]";
  };
  return o;
}

template <class P>
Option<P> integers(const char* name, std::vector<int64_t> P::*m, std::vector<int64_t> def,
                   double lo, double hi, size_t len, const char* help) {
  Option<P> o;
  std::vector<std::string> shown;
  for (int64_t d : def) shown.push_back(std::to_string(d));
  o.spec = {name, len ? "list of " + std::to_string(len) + " integers" : "list of integers",
            "[" + join(shown, ", ") + "]", range_text(lo, hi), help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    std::vector<int64_t> v;
    for (const auto& item : read_list(n, f, name, len ? len : 0, len ? len : SIZE_MAX, false))
      v.push_back(read_integer(item, f, name, lo, hi));
    p.*m = v;
  };
  o.show = [=](const P& p) {
    std::vector<std::string> s;
    for (int64_t d : p.*m) s.push_back(std::to_string(d));
    return "[" + join(s, ", ") + "]";
  };
  return o;
}

// Text or a list of texts (traiNNer-redux's `dataroot_gt: a` or `[a, b]`); `choices` non-empty
// restricts the items.
template <class P>
Option<P> texts(const char* name, std::vector<std::string> P::*m, std::vector<std::string> def,
                std::vector<std::string> choices, const char* help) {
  Option<P> o;
  std::vector<std::string> shown;
  for (const auto& d : def) shown.push_back(show_string(d));
  o.spec = {name, "text or list of texts", def.empty() ? "~" : "[" + join(shown, ", ") + "]",
            choices.empty() ? "" : "items one of " + join(choices, "|"), help};
  o.reset = [=](P& p) { p.*m = def; };
  o.read = [=](P& p, const YAML::Node& n, const std::string& f) {
    std::vector<std::string> v;
    for (const auto& item : read_list(n, f, name, 1, SIZE_MAX, true))
      v.push_back(read_choice(item, f, name, choices, false));
    p.*m = v;
  };
  o.show = [=](const P& p) {
    if ((p.*m).empty()) return std::string("~");  // an empty list does not read back
    std::vector<std::string> s;
    for (const auto& d : p.*m) s.push_back(show_string(d));
    return "[" + join(s, ", ") + "]";
  };
  return o;
}

// A key whose value pairforge never reads (any type); declare with .no_effect(...).
template <class P>
Option<P> any(const char* name, const char* def, const char* help) {
  Option<P> o;
  o.spec = {name, "any", def, "", help};
  o.reset = [](P&) {};
  o.read = [](P&, const YAML::Node&, const std::string&) {};
  o.show = [=](const P&) { return std::string(def); };
  return o;
}

// A key that must stay unset (`~` or absent): a feature pairforge does not have.
template <class P>
Option<P> absent(const char* name, const char* help, const char* why) {
  Option<P> o;
  o.spec = {name, "any", "~", "", help, Effect::kOnlyDefault, why};
  o.reset = [](P&) {};
  const OptionSpec spec = o.spec;
  o.read = [spec](P&, const YAML::Node& n, const std::string& f) {
    fail_only_default(f, n, spec, n.IsScalar() ? n.Scalar() : "a value");
  };
  o.show = [](const P&) { return std::string("~"); };
  return o;
}

// A key accepted only with its default value (any YAML type): `use_moa: false` is fine,
// `use_moa: true` an error naming what is supported.
bool same_yaml(const YAML::Node& value, const std::string& default_yaml);
template <class P>
Option<P> fixed(const char* name, const char* def, const char* help, const char* why) {
  Option<P> o;
  o.spec = {name, "any", def, "", help, Effect::kOnlyDefault, why};
  o.reset = [](P&) {};
  const OptionSpec spec = o.spec;
  o.read = [spec](P&, const YAML::Node& n, const std::string& f) {
    if (!same_yaml(n, spec.default_text))
      fail_only_default(f, n, spec, n.IsScalar() ? n.Scalar() : YAML::Dump(n));
  };
  o.show = [def](const P&) { return std::string(def); };
  return o;
}

// Reads a mapping into `p`: defaults first, then every key. Unknown keys are errors naming the
// nearest valid key; kNoEffect keys add a warning; kOnlyDefault keys with another value are
// errors; a null value (`~`) means the default. `what` names the section in messages.
template <class P>
void read_options(const OptionTable<P>& table, P& p, const YAML::Node& map, const std::string& file,
                  const std::string& what, Warnings& warnings);

// "key: value" lines of every option (the resolved config).
template <class P>
std::string show_options(const OptionTable<P>& table, const P& p, int indent);

// The Markdown reference of a section: one row per key.
std::string options_markdown(const std::vector<OptionSpec>& specs);

template <class P>
std::vector<OptionSpec> specs_of(const OptionTable<P>& table) {
  std::vector<OptionSpec> out;
  for (const auto& o : table) out.push_back(o.spec);
  return out;
}

// --- implementation of the templates ----------------------------------------------------

template <class P>
void read_options(const OptionTable<P>& table, P& p, const YAML::Node& map, const std::string& file,
                  const std::string& what, Warnings& warnings) {
  for (const auto& o : table) o.reset(p);
  if (!map || map.IsNull()) return;
  if (!map.IsMap()) yaml_fail(file, map, what + " must be a mapping");
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    const Option<P>* opt = nullptr;
    for (const auto& o : table)
      if (o.spec.name == key) opt = &o;
    if (!opt) fail_unknown_key(file, kv.first, what, specs_of(table));
    if (kv.second.IsNull()) continue;
    opt->read(p, kv.second, file);
    if (opt->spec.effect == Effect::kNoEffect)
      note_no_effect(file, kv.first, opt->spec, what, warnings);
    if (opt->spec.effect == Effect::kOnlyDefault) {
      const std::string shown = opt->show(p);
      P defaults = p;
      opt->reset(defaults);
      if (shown != opt->show(defaults)) fail_only_default(file, kv.second, opt->spec, shown);
    }
  }
}

template <class P>
std::string show_options(const OptionTable<P>& table, const P& p, int indent) {
  std::string out;
  for (const auto& o : table) {
    // Keys of type "any" hold sections read by their owners (optim_g, losses, metrics), which
    // the caller writes as blocks; a "~" here would give YAML a duplicate key.
    if (o.spec.effect != Effect::kUsed || o.spec.type == "any") continue;
    out += std::string(static_cast<size_t>(indent), ' ') + o.spec.name + ": " + o.show(p) + "\n";
  }
  return out;
}

}  // namespace pf::train

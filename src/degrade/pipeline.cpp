#include "degrade/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "degrade/registry.h"

namespace pf::degrade {

namespace {

const std::vector<std::string> kGroupKinds = {"one_of", "chain", "repeat", "shuffle"};

// The most operators a pipeline may fire on one pair. Presets fire a few dozen; nested repeats
// multiply (three repeats of 100 around one noise step: a million operators and a million-step
// manifest record per pair, minutes even on a 48x40 image).
constexpr double kMaxFiredPerPair = 1000;

// The most operators `steps` can fire on one pair (a repeat at its largest `times`).
double max_fired(const std::vector<Step>& steps);
double max_fired(const Step& s) {
  switch (s.kind) {
    case Step::Kind::kOp:
      return 1;
    case Step::Kind::kOneOf: {
      double most = 0;
      for (const Step& c : s.children) most = std::max(most, max_fired(c));
      return most;
    }
    case Step::Kind::kChain:
    case Step::Kind::kShuffle:
      return max_fired(s.children);
    case Step::Kind::kRepeat:
      return s.times.upper_bound() * max_fired(s.children);
  }
  return 0;
}
double max_fired(const std::vector<Step>& steps) {
  double n = 0;
  for (const Step& s : steps) n += max_fired(s);
  return n;
}

void check_fired(double n, const std::string& file, const YAML::Node& where,
                 const std::string& what) {
  if (n > kMaxFiredPerPair)
    yaml_fail(file, where,
              what + " can fire up to " + fmt::format("{:.0f}", n) +
                  " operators on one pair; at most " + fmt::format("{:.0f}", kMaxFiredPerPair) +
                  " are allowed (nested repeats multiply)");
}

double parse_probability(const std::string& file, const YAML::Node& node) {
  const double p = yaml_double(file, node);
  if (p < 0 || p > 1) yaml_fail(file, node, "p = " + node.Scalar() + " is out of range [0, 1]");
  return p;
}

std::vector<Step> parse_steps(const YAML::Node& seq, const std::string& file);

Step parse_op_step(const std::string& name, const YAML::Node& key, const YAML::Node& body,
                   const std::string& file) {
  Step s;
  s.kind = Step::Kind::kOp;
  s.where = yaml_where(file, key);
  s.info = find_op(name);
  if (!s.info) {
    std::vector<std::string> names = op_names();
    names.insert(names.end(), kGroupKinds.begin(), kGroupKinds.end());
    std::string msg = "unknown operator '" + name + "'";
    const std::string near = closest_name(name, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    msg += "; `pairforge ops` lists them";
    yaml_fail(file, key, msg);
  }
  s.op = s.info->make();
  // A file parameter without a default (a learned operator's weights) has nothing to fall
  // back on: say so here, at the step, rather than when a pair first fires it.
  for (const auto& spec : s.info->params)
    if (spec.file && std::get<std::string>(spec.def).empty() &&
        !(body && body.IsMap() && body[spec.name]))
      yaml_fail(file, key,
                "operator '" + name + "' needs `" + spec.name + ":` (" + spec.help + ")");
  if (!body || body.IsNull()) return s;
  std::vector<std::string> allowed = {"p"};
  for (const auto& spec : s.info->params) allowed.push_back(spec.name);
  yaml_check_keys(file, body, allowed, "operator '" + name + "'");
  for (const auto& kv : body) {
    const std::string k = kv.first.Scalar();
    if (k == "p") {
      s.p = parse_probability(file, kv.second);
      continue;
    }
    const auto& params = s.info->params;
    const size_t index =
        static_cast<size_t>(std::find_if(params.begin(), params.end(),
                                         [&](const ParamSpec& p) { return p.name == k; }) -
                            params.begin());
    s.given.emplace_back(index, Distribution::parse(kv.second, params[index], file));
  }
  std::sort(s.given.begin(), s.given.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return s;
}

Step parse_group_step(const std::string& kind, const YAML::Node& key, const YAML::Node& body,
                      const std::string& file) {
  Step s;
  s.where = yaml_where(file, key);
  std::vector<std::string> allowed = {"p", "steps"};
  if (kind == "one_of") s.kind = Step::Kind::kOneOf, allowed.push_back("weights");
  if (kind == "chain") s.kind = Step::Kind::kChain;
  if (kind == "repeat") s.kind = Step::Kind::kRepeat, allowed.push_back("times");
  if (kind == "shuffle") s.kind = Step::Kind::kShuffle;
  if (!body || !body.IsMap()) yaml_fail(file, key, kind + " needs a mapping with `steps:`");
  yaml_check_keys(file, body, allowed, kind);
  if (body["p"]) s.p = parse_probability(file, body["p"]);
  if (!body["steps"]) yaml_fail(file, body, kind + " needs `steps:`");
  s.children = parse_steps(body["steps"], file);
  if (s.kind == Step::Kind::kOneOf) {
    std::vector<double> w(s.children.size(), 1.0);
    if (const YAML::Node wn = body["weights"]) {
      if (!wn.IsSequence() || wn.size() != s.children.size())
        yaml_fail(file, wn,
                  "one_of: weights must list one number per step (" +
                      std::to_string(s.children.size()) + ")");
      for (size_t i = 0; i < w.size(); ++i) {
        w[i] = yaml_double(file, wn[i]);
        if (w[i] < 0) yaml_fail(file, wn[i], "one_of: weights must be >= 0");
      }
    }
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    if (!(total > 0)) yaml_fail(file, body, "one_of: weights sum to zero");
    double acc = 0;
    for (double x : w) s.cumulative.push_back(acc += x / total);
  }
  if (s.kind == Step::Kind::kRepeat) {
    ParamSpec times;
    times.name = "times", times.type = ParamType::kInt, times.lo = 0, times.hi = 100;
    if (!body["times"]) yaml_fail(file, body, "repeat needs `times:` (a count or [lo, hi])");
    s.times = Distribution::parse(body["times"], times, file);
    check_fired(max_fired(s), file, key, "this repeat");
  }
  return s;
}

Step parse_step(const YAML::Node& node, const std::string& file) {
  if (!node.IsMap() || node.size() != 1)
    yaml_fail(file, node,
              "a step is a mapping with one key: an operator name or one_of/chain/repeat/shuffle");
  const auto kv = *node.begin();
  const std::string name = kv.first.Scalar();
  if (std::find(kGroupKinds.begin(), kGroupKinds.end(), name) != kGroupKinds.end())
    return parse_group_step(name, kv.first, kv.second, file);
  return parse_op_step(name, kv.first, kv.second, file);
}

std::vector<Step> parse_steps(const YAML::Node& seq, const std::string& file) {
  if (!seq.IsSequence()) yaml_fail(file, seq, "expected a list of steps");
  std::vector<Step> steps;
  for (const auto& item : seq) steps.push_back(parse_step(item, file));
  return steps;
}

ParamSpec repeat_spec() {
  ParamSpec s;
  s.name = "times", s.type = ParamType::kInt, s.lo = 0, s.hi = 100;
  return s;
}

void run_steps(const std::vector<Step>& steps, Pair& pair, Rng& rng,
               std::vector<StepRecord>& records, const StepHook& hook);

// True when the step fired (its probability draw passed).
bool run_step(const Step& s, Pair& pair, Rng& rng, std::vector<StepRecord>& records,
              const StepHook& hook) {
  // The probability draw always happens, so a step's firing never shifts later draws.
  if (!(rng.uniform() < s.p)) return false;
  switch (s.kind) {
    case Step::Kind::kOp: {
      StepRecord r{s.info->name, sample_values(s, rng), rng.next_u64()};
      Rng op_rng(r.seed);
      try {
        apply_op(*s.info, *s.op, r.values, pair, op_rng);
      } catch (const ConfigError& e) {
        // Found only when the step runs (a font missing from font_dir): the step's place.
        if (std::string(e.what()).rfind(s.where, 0) == 0) throw;
        throw ConfigError(s.where + ": " + e.what());
      }
      if (hook) hook(r, pair);
      records.push_back(std::move(r));
      return true;
    }
    case Step::Kind::kOneOf: {
      const double u = rng.uniform();
      size_t i = 0;
      while (i + 1 < s.cumulative.size() && u >= s.cumulative[i]) ++i;
      run_step(s.children[i], pair, rng, records, hook);
      return true;
    }
    case Step::Kind::kChain:
      run_steps(s.children, pair, rng, records, hook);
      return true;
    case Step::Kind::kRepeat: {
      const int64_t n = std::get<int64_t>(s.times.sample(rng, repeat_spec()));
      for (int64_t i = 0; i < n; ++i) run_steps(s.children, pair, rng, records, hook);
      return true;
    }
    case Step::Kind::kShuffle: {
      std::vector<size_t> order(s.children.size());
      std::iota(order.begin(), order.end(), 0);
      for (size_t i = order.size(); i > 1; --i)  // Fisher-Yates through our own Rng
        std::swap(order[i - 1], order[static_cast<size_t>(rng.uniform_int(0, i - 1))]);
      for (size_t i : order) run_step(s.children[i], pair, rng, records, hook);
      return true;
    }
  }
  return true;
}

void run_steps(const std::vector<Step>& steps, Pair& pair, Rng& rng,
               std::vector<StepRecord>& records, const StepHook& hook) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (!run_step(s, pair, rng, records, hook)) continue;
    const bool stands_in = s.info && !s.info->replaces.empty() && i + 1 < steps.size() &&
                           steps[i + 1].info && steps[i + 1].info->name == s.info->replaces;
    if (stands_in) {
      rng.uniform();  // the skipped step's probability draw, as if it had not fired
      ++i;
    }
  }
}

}  // namespace

Step Pipeline::parse_op(const std::string& name, const YAML::Node& key, const YAML::Node& body,
                        const std::string& file) {
  return parse_op_step(name, key, body, file);
}

Pipeline Pipeline::parse(const YAML::Node& steps, const std::string& file) {
  Pipeline p;
  p.steps_ = parse_steps(steps, file);
  check_fired(max_fired(p.steps_), file, steps, "the pipeline");
  return p;
}

void Pipeline::run(Pair& pair, Rng& rng, std::vector<StepRecord>& records,
                   const StepHook& hook) const {
  run_steps(steps_, pair, rng, records, hook);
}

static bool uses_op_in(const std::vector<Step>& steps, const std::string& name) {
  for (const auto& s : steps)
    if ((s.info && s.info->name == name) || uses_op_in(s.children, name)) return true;
  return false;
}

bool Pipeline::uses_op(const std::string& name) const {
  return uses_op_in(steps_, name);
}

Values sample_values(const Step& step, Rng& rng) {
  Values values;
  const auto& params = step.info->params;
  size_t g = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (g < step.given.size() && step.given[g].first == i)
      values.emplace_back(params[i].name, step.given[g++].second.sample(rng, params[i]));
    else
      values.emplace_back(params[i].name, params[i].def);
  }
  return values;
}

void apply_record(const StepRecord& record, Pair& pair) {
  const OpInfo* info = find_op(record.op);
  if (!info) throw Error("unknown operator '" + record.op + "' in a recorded step");
  Rng rng(record.seed);
  apply_op(*info, *info->make(), record.values, pair, rng);
}

void apply_op(const OpInfo& info, const Op& op, const Values& values, Pair& pair, Rng& rng) {
  if (pair.shares_pixels() && !info.takes_shared_pair) pair.lq = pair.hq.clone();
  if (!info.keeps_hq) pair.hq8.release();
  op.apply(values, pair, rng);
}

}  // namespace pf::degrade

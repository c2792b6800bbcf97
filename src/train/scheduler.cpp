#include "train/scheduler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/yaml_util.h"

namespace pf::train {

namespace {

const std::vector<std::string> kTypes = {"MultiStepLR", "StepLR", "CosineAnnealingLR",
                                         "CosineAnnealingRestartLR", "ConstantLR"};

struct SchedArgs {
  std::string type;
  std::vector<int64_t> milestones, periods;
  std::vector<double> restart_weights;
  double gamma = 0.1, eta_min = 0;
  int64_t step_size = 1, t_max = 1;
};

const OptionTable<SchedArgs>& sched_table() {
  using P = SchedArgs;
  static const OptionTable<P> t = {
      choice<P>("type", &P::type, "ConstantLR", kTypes,
                "MultiStepLR, StepLR, CosineAnnealingLR, CosineAnnealingRestartLR (basicsr), "
                "ConstantLR (the base rate throughout)",
                true),
      integers<P>("milestones", &P::milestones, {}, 1, 1e12, 0,
                  "MultiStepLR: iterations where the rate is multiplied by gamma"),
      real<P>("gamma", &P::gamma, 0.1, 0, 1, "MultiStepLR/StepLR: the factor"),
      integer<P>("step_size", &P::step_size, 1, 1, 1e12, "StepLR: iterations per factor"),
      integer<P>("T_max", &P::t_max, 1, 1, 1e12, "CosineAnnealingLR: half period in iterations"),
      real<P>("eta_min", &P::eta_min, 0, 0, 10, "cosine schedules: the lowest rate"),
      integers<P>("periods", &P::periods, {}, 1, 1e12, 0,
                  "CosineAnnealingRestartLR: length of each cosine cycle"),
      reals<P>("restart_weights", &P::restart_weights, {1}, 0, kInf, 0,
               "CosineAnnealingRestartLR: the peak of each cycle relative to lr"),
      any<P>("last_epoch", "-1", "torch internals").no_effect("schedules follow the iteration"),
      any<P>("verbose", "false", "torch logging").no_effect("the log has the rate"),
  };
  return t;
}

// The keys each type reads; others given with it are errors (a typo'd schedule would silently
// train with the wrong rates).
const std::vector<std::string>& keys_of(const std::string& type) {
  static const std::vector<std::string> multistep = {"milestones", "gamma"};
  static const std::vector<std::string> step = {"step_size", "gamma"};
  static const std::vector<std::string> cosine = {"T_max", "eta_min"};
  static const std::vector<std::string> restart = {"periods", "restart_weights", "eta_min"};
  static const std::vector<std::string> none = {};
  if (type == "MultiStepLR") return multistep;
  if (type == "StepLR") return step;
  if (type == "CosineAnnealingLR") return cosine;
  if (type == "CosineAnnealingRestartLR") return restart;
  return none;
}

}  // namespace

ScheduleOptions read_scheduler(const YAML::Node& node, const std::string& file,
                               Warnings& warnings) {
  ScheduleOptions s;
  SchedArgs a;
  read_options(sched_table(), a, node, file, "train.scheduler", warnings);
  if (node && node.IsMap()) {
    const auto& allowed = keys_of(a.type);
    for (const auto& kv : node) {
      const std::string k = kv.first.Scalar();
      if (k == "type" || k == "last_epoch" || k == "verbose") continue;
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        yaml_fail(file, kv.first,
                  k + " is not an option of " + a.type + " (its options: " +
                      (allowed.empty() ? std::string("none") : join(allowed, ", ")) + ")");
    }
    if (a.type == "MultiStepLR" && a.milestones.empty())
      yaml_fail(file, node, "MultiStepLR needs milestones");
    if (a.type == "CosineAnnealingRestartLR") {
      if (a.periods.empty()) yaml_fail(file, node, "CosineAnnealingRestartLR needs periods");
      if (!node["restart_weights"]) a.restart_weights.assign(a.periods.size(), 1.0);
      if (a.restart_weights.size() != a.periods.size())
        yaml_fail(file, node["restart_weights"], "restart_weights needs one weight per period");
    }
    if (a.type == "CosineAnnealingLR" && !node["T_max"])
      yaml_fail(file, node, "CosineAnnealingLR needs T_max");
  }
  std::sort(a.milestones.begin(), a.milestones.end());
  s.type = a.type;
  s.milestones = a.milestones;
  s.gamma = a.gamma;
  s.step_size = a.step_size;
  s.t_max = a.t_max;
  s.eta_min = a.eta_min;
  s.periods = a.periods;
  s.restart_weights = a.restart_weights;
  std::string y = "    type: " + a.type + "\n";
  for (const auto& o : sched_table()) {
    const auto& allowed = keys_of(a.type);
    if (std::find(allowed.begin(), allowed.end(), o.spec.name) != allowed.end())
      y += "    " + o.spec.name + ": " + o.show(a) + "\n";
  }
  s.yaml = y;
  return s;
}

std::string scheduler_reference_markdown() {
  return "### `train.scheduler`\n\nEach type reads only its own keys (listed in their meaning); "
         "without a scheduler the rate stays at `lr`.\n\n" +
         options_markdown(specs_of(sched_table())) + "\n";
}

double learning_rate(const ScheduleOptions& s, double base, int64_t iter, int64_t warmup_iter) {
  if (warmup_iter > 0 && iter <= warmup_iter)
    return base * static_cast<double>(iter) / static_cast<double>(warmup_iter);
  const auto t = static_cast<double>(iter);
  if (s.type == "MultiStepLR") {
    // torch's closed form: gamma ^ (milestones reached), repeated milestones counting twice.
    const auto reached =
        std::upper_bound(s.milestones.begin(), s.milestones.end(), iter) - s.milestones.begin();
    return base * std::pow(s.gamma, static_cast<double>(reached));
  }
  if (s.type == "StepLR")
    return base * std::pow(s.gamma, std::floor(t / static_cast<double>(s.step_size)));
  if (s.type == "CosineAnnealingLR")
    return s.eta_min +
           (base - s.eta_min) * (1 + std::cos(M_PI * t / static_cast<double>(s.t_max))) / 2;
  if (s.type == "CosineAnnealingRestartLR") {
    int64_t start = 0;
    for (size_t i = 0; i < s.periods.size(); ++i) {
      const int64_t end = start + s.periods[i];
      if (iter <= end)
        return s.eta_min + s.restart_weights[i] * 0.5 * (base - s.eta_min) *
                               (1 + std::cos(M_PI * static_cast<double>(iter - start) /
                                             static_cast<double>(s.periods[i])));
      start = end;
    }
    return s.eta_min;  // past the last period (basicsr raises; the rate rests at eta_min)
  }
  return base;
}

}  // namespace pf::train

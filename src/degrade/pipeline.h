// The degradation pipeline: a YAML-described tree of steps (operators, one_of, chain, repeat,
// shuffle), each with a firing probability, sampled per pair from the pair's own seed.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/param.h"
#include "core/rng.h"
#include "core/yaml_util.h"
#include "degrade/op.h"

namespace pf::degrade {

// One operator that fired: everything needed to redo it exactly (the manifest's unit).
struct StepRecord {
  std::string op;
  Values values;
  uint64_t seed = 0;
};

struct Step {
  enum class Kind { kOp, kOneOf, kChain, kRepeat, kShuffle };
  Kind kind = Kind::kOp;
  double p = 1.0;
  std::string where;  // file:line:col, for messages

  // kOp
  const OpInfo* info = nullptr;
  std::shared_ptr<const Op> op;
  std::vector<std::pair<size_t, Distribution>> given;  // index into info->params -> distribution

  // groups
  std::vector<Step> children;
  std::vector<double> cumulative;  // kOneOf: normalised cumulative weights
  Distribution times;              // kRepeat
};

// Called after every fired operator (used by --explain).
using StepHook = std::function<void(const StepRecord&, const Pair&)>;

class Pipeline {
 public:
  // Parses a `pipeline:` sequence. Throws ConfigError (file:line:col) on any problem.
  static Pipeline parse(const YAML::Node& steps, const std::string& file);

  // Parses one operator step `name: {params}` (used for `final_resize:` too).
  static Step parse_op(const std::string& name, const YAML::Node& key, const YAML::Node& body,
                       const std::string& file);

  // Runs the steps on `pair`, appending every fired operator to `records`.
  void run(Pair& pair, Rng& rng, std::vector<StepRecord>& records,
           const StepHook& hook = nullptr) const;

  const std::vector<Step>& steps() const { return steps_; }
  // True when some step (at any depth) is the operator `name`.
  bool uses_op(const std::string& name) const;

 private:
  std::vector<Step> steps_;
};

// Samples one operator step's values (declared order; undeclared ones take the table default).
Values sample_values(const Step& step, Rng& rng);

// Applies one recorded step (replay, final resize).
void apply_record(const StepRecord& record, Pair& pair);
// op.apply, after giving LQ its own pixels when it shares HQ's and the operator does not take
// shared pairs (OpInfo::takes_shared_pair). Every step goes through here.
void apply_op(const OpInfo& info, const Op& op, const Values& values, Pair& pair, Rng& rng);

}  // namespace pf::degrade

// The operator contract: a params struct, its one parameter table, and a const apply that takes
// the pair and an explicit Rng&. Apply is pure and thread-safe; randomness only through the Rng.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/param.h"
#include "core/rng.h"
#include "degrade/pair.h"

namespace pf::degrade {

class Op {
 public:
  virtual ~Op() = default;
  // `values` holds one sampled value per declared parameter (table order).
  virtual void apply(const Values& values, Pair& pair, Rng& rng) const = 0;
};

// What the registry knows of an operator: its YAML name, a one-line summary, the parameter
// table (from which YAML parsing, `pairforge ops` and the manifest are derived) and a factory.
struct OpInfo {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Op>()> make;
  // When this operator fires, a step of operator `replaces` right after it in the same list is
  // skipped: the learned x2 operator stands in for the plain x2 downscale next to it, as
  // AnimeSR's chain does. Empty for most operators.
  std::string replaces;
  // The operator copes with a pair whose HQ and LQ share pixels (Pair::shares_pixels): it writes
  // neither in place while they do. Others get a copy of LQ first.
  bool takes_shared_pair = false;
  // The operator never changes HQ, so a ready Pair::hq8 stays valid (checked for every operator
  // that says so by the registry test). The others drop it before they run.
  bool keeps_hq = false;
};

// CRTP base: `Derived` provides
//   static const std::vector<Field<P>>& table();
//   void run(const P& params, Pair& pair, Rng& rng) const;
template <class P, class Derived>
class TypedOp : public Op {
 public:
  void apply(const Values& values, Pair& pair, Rng& rng) const final {
    static_cast<const Derived*>(this)->run(bind_values(Derived::table(), values), pair, rng);
  }
};

template <class OpT>
OpInfo make_op_info(const char* name, const char* summary) {
  return {name, summary, specs_of(OpT::table()), [] { return std::make_unique<OpT>(); }, ""};
}

// `info` of an operator that changes LQ only (OpInfo::keeps_hq).
inline OpInfo lq_only(OpInfo info) {
  info.keeps_hq = true;
  return info;
}

}  // namespace pf::degrade

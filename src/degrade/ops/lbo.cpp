// lbo: AnimeSR's learnable basic operator, a small network fitted (`pairforge lbo fit`) to map
// pseudo-HR frames of a real low-quality video to the video's own frames: it downscales x2 the
// way that video was degraded. A list of files is a pool; each firing draws one. When it fires,
// the plain `resize` step right after it is skipped (OpInfo::replaces), so a chain reads as
// AnimeSR's "LBO or Down" x2 steps.
//
// The network runs in LibTorch, which pf_degrade does not link: degrade/learned_op.h says how it
// is provided (src/degrade/learned/lbo_network.cpp).
#include <opencv2/core.hpp>

#include "core/error.h"
#include "degrade/learned_op.h"
#include "degrade/op.h"
#include "degrade/pipeline.h"

namespace pf::degrade {

namespace {

LboNetwork& installed_network() {
  static LboNetwork network = nullptr;
  return network;
}

struct LboParams {
  std::string weights;
  std::string device;
};

}  // namespace

void provide_lbo_network(LboNetwork network) {
  installed_network() = network;
}

LboNetwork lbo_network() {
  return installed_network();
}

std::string learned_op_missing(const Pipeline& pipeline) {
  return pipeline.uses_op("lbo") && !lbo_network() ? "lbo" : "";
}

class Lbo final : public TypedOp<LboParams, Lbo> {
 public:
  static const std::vector<Field<LboParams>>& table() {
    using P = LboParams;
    static const std::vector<Field<P>> t = {
        file_path<P>("weights", &P::weights,
                     "operator file (.safetensors or .pth with AnimeSR's keys main.{0,2,4}); a "
                     "list [a, b, c] is a pool, one drawn per firing"),
        choice<P>("device", &P::device, "auto", {"auto", "cpu", "cuda"},
                  "where it runs: auto = the GPU when LibTorch sees one (OTF training on a GPU), "
                  "else the CPU; results differ between devices in the last bits"),
    };
    return t;
  }

  void run(const LboParams& p, Pair& pair, Rng&) const {
    if (pair.lq.channels() != 3)
      throw Error("lbo: the LQ has " + std::to_string(pair.lq.channels()) +
                  " channels; learned operators work on RGB");
    if (p.weights.empty()) throw ConfigError("lbo: `weights:` names no operator file");
    const LboNetwork network = lbo_network();
    if (!network)
      throw Error(
          "lbo: this program was built without LibTorch, which the operator runs on (run "
          "it through pairforge, which hands it over to pairforge-torch)");
    pair.lq = network(p.weights, p.device, pair.lq);
  }
};

const OpInfo& op_lbo() {
  static const OpInfo info = [] {
    OpInfo i = make_op_info<Lbo>(
        "lbo",
        "downscale x2 with a learned basic operator (AnimeSR's LBO, from `pairforge lbo fit`); "
        "when it fires, a `resize` step right after it is skipped (the plain x2 downscale it "
        "stands in for)");
    i.replaces = "resize";
    i.keeps_hq = true;
    return i;
  }();
  return info;
}

}  // namespace pf::degrade

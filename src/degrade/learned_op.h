// Operators that run a LibTorch network (today: lbo). Their parameters, registry entry, manifest
// records and --explain live in pf_degrade, which links no LibTorch, so that `pairforge ops` lists
// them and `pairforge degrade` reads their configs while starting in milliseconds. The network
// itself comes from pf_degrade_learned (src/degrade/learned/), which a binary with LibTorch links
// and installs with install_learned_ops(); pairforge without it hands such a job over to
// pairforge-torch (cli/torch_helper.h) before anything runs.
#pragma once
#include <opencv2/core.hpp>
#include <string>

namespace pf::degrade {

// Downscales an RGB float LQ with the operator in `weights` on `device` (auto, cpu, cuda).
using LboNetwork = cv::Mat (*)(const std::string& weights, const std::string& device,
                               const cv::Mat& lq);

void provide_lbo_network(LboNetwork network);
// Null when this binary has no LibTorch.
LboNetwork lbo_network();

// The name of the first step of `pipeline` that needs a LibTorch network this binary does not
// have, or an empty string.
class Pipeline;
std::string learned_op_missing(const Pipeline& pipeline);

}  // namespace pf::degrade

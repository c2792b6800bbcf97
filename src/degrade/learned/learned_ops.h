// Installs the LibTorch networks of the learned degradation operators (degrade/learned_op.h).
// Every program with LibTorch that runs degradation pipelines calls it once before running them:
// pairforge-torch, the OTF training sources, the tests of those operators.
#pragma once

namespace pf::degrade {

void install_learned_ops();

}  // namespace pf::degrade

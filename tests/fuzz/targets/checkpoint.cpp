// A model file end to end, as `pairforge upscale -m FILE` takes it: .pth or .safetensors by
// content, arch detection on whatever tensors come out, then the module built from the
// detected hyper-parameters and strictly loaded.
#include "models/checkpoint.h"

#include <torch/torch.h>

#include <vector>

#include "core/error.h"
#include "fuzz_target.h"
#include "models/model.h"
#include "models/zip.h"

PF_FUZZ_TARGET(checkpoint) {
  static const bool once = [] {
    torch::set_num_threads(1);
    return true;
  }();
  (void)once;
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    const pf::models::Checkpoint ck = pf::models::looks_like_zip(bytes)
                                          ? pf::models::read_pth(bytes, "fuzz.pth")
                                          : pf::models::read_safetensors(bytes, "fuzz.safetensors");
    const pf::models::LoadedModel m = pf::models::load_model(ck, "fuzz model");
    PF_FUZZ_ASSERT(m.param_count > 0);
    pf::fuzz::accepted();
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

// Checkpoint files without LibTorch: .pth (zip + restricted pickle) and .safetensors, read into
// and written from NamedTensors, with the community's wrappers (params_ema, state_dict, ...)
// and prefixes (module., netG.) removed.
#pragma once
#include <string>
#include <vector>

#include "models/raw_tensor.h"

namespace pf::models {

enum class FileFormat { kPth, kSafetensors };
const char* format_name(FileFormat f);
// From the extension (.pth/.pt/.ckpt or .safetensors); throws ModelError otherwise.
FileFormat format_from_path(const std::string& path);

struct Checkpoint {
  NamedTensors tensors;
  Metadata metadata;  // safetensors __metadata__, or our own dict inside a .pth
  FileFormat format = FileFormat::kPth;
  std::string wrapper;  // the key the weights sat under ("params_ema", ...), empty if none
};

// The key our .pth files keep the string metadata under (ignored by spandrel and torch users).
inline constexpr const char* kPthMetadataKey = "pairforge_metadata";

// `preferred_key`: a wrapper to take first when the file has it (traiNNer-redux's param_key_g),
// before the usual order (params_ema, params, state_dict, model_state_dict, model, net).
Checkpoint read_pth(const std::vector<uint8_t>& bytes, const std::string& label,
                    const std::string& preferred_key = "");
Checkpoint read_safetensors(const std::vector<uint8_t>& bytes, const std::string& label);
// Dispatches on the content (zip or not), not the extension.
Checkpoint read_checkpoint(const std::string& path, const std::string& preferred_key = "");

struct PthOptions {
  std::string key = "params_ema";  // the wrapper key of the state dict; "": none (torchvision)
  bool also_params = false;        // write `params` next to it too (same tensors)
};
std::vector<uint8_t> write_pth(const NamedTensors& tensors, const Metadata& metadata,
                               const PthOptions& options = {});
std::vector<uint8_t> write_safetensors(const NamedTensors& tensors, const Metadata& metadata);
void write_checkpoint(const std::string& path, const NamedTensors& tensors,
                      const Metadata& metadata, const PthOptions& pth_options = {});

// Removes a prefix every key shares ("module.", "netG.").
void strip_common_prefixes(NamedTensors& tensors);

}  // namespace pf::models

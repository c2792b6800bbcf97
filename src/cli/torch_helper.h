// The commands that run models (LibTorch) live in a second binary, pairforge-torch, installed
// beside pairforge. Loading LibTorch costs about a second at start-up (its operator registry and
// ~300 shared libraries), which `degrade`, `frames`, `ops` and `--help` would otherwise pay on
// every run; pairforge hands such a command line over to pairforge-torch with exec(), so exit
// codes, signals and output stay those of the one process the user started.
#pragma once
#include <CLI/CLI.hpp>
#include <string_view>

namespace pf::cli {

struct TorchCommand {
  const char* name;
  const char* description;  // shown by `pairforge --help` in both binaries
};

// Every command that needs LibTorch, with its --help line (read by its register_* function too).
inline constexpr TorchCommand kTorchCommands[] = {
    {"inspect", "Show the architecture and hyper-parameters of a model file"},
    {"convert", "Convert a model between .pth and .safetensors"},
    {"upscale", "Upscale an image, a folder of images or a video"},
    {"export", "Export a Compact, SPAN or Real-CUGAN model to ONNX"},
    {"validate", "PSNR/SSIM of a model on HQ/LQ pairs"},
    {"train", "train a Compact or SPAN model from a traiNNer-redux config"},
    {"plot", "loss, learning-rate and validation curves of a run"},
    {"lbo", "learned degradation operators (AnimeSR's LBO)"},
};

// The --help line of a command of kTorchCommands.
const char* torch_command_description(std::string_view name);

// Kept by main so that a command may be handed over once parsing has shown it needs LibTorch.
void remember_command_line(int argc, char** argv);

// True when the command line names a command of kTorchCommands.
bool names_torch_command(int argc, char** argv);

// Replaces this process by pairforge-torch with the remembered command line; throws pf::Error
// when that binary is missing or cannot be started.
[[noreturn]] void exec_torch_helper(std::string_view why);

// Lists the commands of kTorchCommands in this binary's --help; running one execs the helper.
void register_torch_forwarders(CLI::App& app);

}  // namespace pf::cli

// `pairforge inspect MODEL`: what a model file holds (arch, scale, channels, hyper-parameters,
#ifdef PAIRFORGE_HAVE_TORCH
// parameter count, format, dtype), without running it.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "models/info.h"

namespace pf::cli {

void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", torch_command_description("inspect"));
  cmd->footer(
      "Example: pairforge inspect 2x_AnimeJaNai_Standard_V1_Compact.safetensors\n"
      "Reads .pth (zip format, restricted unpickler: nothing in the file is executed) and\n"
      ".safetensors. A file the tool cannot load exits with code 6.");
  static std::string path;
  static bool show_metadata = false;
  cmd->add_option("model", path, "model file (.pth or .safetensors)")->required();
  cmd->add_flag("--metadata", show_metadata, "also print the file's metadata");
  cmd->callback([] {
    const auto m = models::inspect_model(path);
    fmt::print("{:<17} {}\n", "file", path);
    fmt::print("{:<17} {}{}\n", "format", models::format_name(m.format),
               m.wrapper.empty() ? "" : " (weights under '" + m.wrapper + "')");
    fmt::print("{:<17} {}\n", "arch", m.spec.arch);
    fmt::print("{:<17} {}\n", "scale", m.spec.scale);
    fmt::print("{:<17} {} -> {}\n", "channels", m.spec.in_ch, m.spec.out_ch);
    for (const auto& [k, v] : m.spec.params) fmt::print("{:<17} {}\n", k, v);
    fmt::print("{:<17} {}\n", "parameters", m.param_count);
    fmt::print("{:<17} {}\n", "tensors", m.tensor_count);
    fmt::print("{:<17} {}\n", "dtype", models::dtype_name(m.dtype));
    if (show_metadata)
      for (const auto& [k, v] : m.metadata) fmt::print("{:<17} {}\n", "meta." + k, v);
  });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

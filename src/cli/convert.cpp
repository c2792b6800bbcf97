// `pairforge convert IN OUT`: between .pth and .safetensors, optionally to fp16/bf16/fp32.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>

#include <map>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "models/info.h"

namespace pf::cli {

void register_convert(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", torch_command_description("convert"));
  cmd->footer(
      "Example: pairforge convert realesr-animevideov3.pth animevideov3_fp16.safetensors "
      "--dtype fp16\n"
      "The output format follows OUT's extension; .pth output keeps the weights under\n"
      "params_ema (what spandrel, chaiNNer and traiNNer-redux look for).");
  static std::string in, out, dtype = "keep";
  static bool also_params = false;
  cmd->add_option("in", in, "input model (.pth or .safetensors)")->required();
  cmd->add_option("out", out, "output model (.pth or .safetensors)")->required();
  cmd->add_option("--dtype", dtype, "weights dtype: keep, fp32, fp16 or bf16")
      ->check(CLI::IsMember({"keep", "fp32", "fp16", "bf16"}));
  cmd->add_flag("--params", also_params, ".pth: also write the weights under 'params'");
  cmd->callback([] {
    static const std::map<std::string, models::DType> kDTypes{{"fp32", models::DType::kF32},
                                                              {"fp16", models::DType::kF16},
                                                              {"bf16", models::DType::kBF16}};
    models::ConvertOptions options;
    if (dtype != "keep") options.dtype = kDTypes.at(dtype);
    options.also_params = also_params;
    models::format_from_path(out);  // fail on a bad extension before reading anything
    const auto spec = models::convert_checkpoint(in, out, options);
    fmt::print("{} -> {} ({} x{})\n", in, out, spec.arch, spec.scale);
  });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

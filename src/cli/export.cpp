// `pairforge export -m MODEL -o model.onnx`: ONNX for onnxruntime, chaiNNer, vs-mlrt, OpenCV.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "infer/onnx_export.h"

namespace pf::cli {

void register_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", torch_command_description("export"));
  static std::string model, output, static_size;
  static int opset = 17;
  static bool fp16 = false;
  static double cugan_alpha = 1.0;
  cmd->add_option("-m,--model", model, "model file (.pth or .safetensors)")->required();
  cmd->add_option("-o,--output", output, "ONNX file to write")->required();
  cmd->add_option("--opset", opset, "ONNX opset, 13..17 (default 17)")->check(CLI::Range(13, 17));
  cmd->add_flag("--fp16", fp16, "float16 weights, input and output");
  cmd->add_option("--static", static_size,
                  "HxW: fixed input size, batch 1 (OpenCV DNN needs fixed shapes)");
  cmd->add_option("--cugan-alpha", cugan_alpha,
                  "Real-CUGAN strength baked into the graph (1 = as trained; metadata 'alpha')");
  cmd->footer(
      "Example: pairforge export -m 2xLiveActionV1_SPAN.safetensors -o span.onnx --fp16\n"
      "Input 'input' and output 'output' are NCHW; batch, height and width are dynamic unless\n"
      "--static is given. SPAN is written reparameterised (one conv per Conv3XC). Real-CUGAN\n"
      "pads (reflect) and crops inside the graph, as pairforge upscale does.");
  cmd->callback([] {
    infer::ExportOptions o;
    o.opset = opset;
    o.fp16 = fp16;
    o.cugan_alpha = cugan_alpha;
    o.source = std::filesystem::path(model).filename().string();
    if (!static_size.empty()) infer::parse_static_size(static_size, o);
    auto loaded = models::load_model(model);
    infer::export_onnx(loaded, output, o);
    fmt::print("{} -> {} ({} x{}, opset {}, {})\n", model, output, loaded.spec.arch,
               loaded.spec.scale, opset, fp16 ? "fp16" : "fp32");
  });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

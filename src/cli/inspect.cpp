// `pairforge inspect MODEL`: what a model file holds (arch, scale, channels, hyper-parameters,
// parameter count, format, dtype), without running it; for an .onnx file its inputs, outputs,
// opset and the scale when the graph or its metadata tell it.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "models/info.h"

namespace pf::cli {
namespace {

bool is_onnx_path(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".onnx";
}

std::string elem_type(int32_t t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::BFLOAT16:
      return "bfloat16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT64:
      return "int64";
    default:
      return "type " + std::to_string(t);
  }
}

// "float32 [1, 3, height, width]" (symbolic dims by name, unknown ones as ?).
std::string describe_value(const onnx::ValueInfoProto& v, std::vector<std::string>* dims_out) {
  if (!v.type().has_tensor_type()) return v.name() + ": not a tensor";
  const auto& tt = v.type().tensor_type();
  std::vector<std::string> dims;
  for (const auto& d : tt.shape().dim())
    dims.push_back(d.has_dim_value()   ? std::to_string(d.dim_value())
                   : d.has_dim_param() ? d.dim_param()
                                       : "?");
  if (dims_out) *dims_out = dims;
  std::string joined;
  for (size_t i = 0; i < dims.size(); ++i) joined += (i ? ", " : "") + dims[i];
  return fmt::format("{}: {} [{}]", v.name(), elem_type(tt.elem_type()), joined);
}

// Models larger than this are not SR models anyone exports; a hostile file claiming more is
// refused before protobuf allocates for it.
constexpr std::uintmax_t kMaxOnnxBytes = std::uintmax_t{2} << 30;

void inspect_onnx(const std::string& path, bool show_metadata) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxOnnxBytes)
    throw ModelError(
        fmt::format("{}: {} bytes, more than an ONNX model may have (2 GiB)", path, ec ? 0 : size));
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto m;
  if (!in || !m.ParseFromIstream(&in) || !m.has_graph())
    throw ModelError(path + ": not an ONNX model (the protobuf does not parse as a ModelProto)");
  fmt::print("{:<17} {}\n", "file", path);
  fmt::print("{:<17} ONNX (IR version {})\n", "format", m.ir_version());
  for (const auto& o : m.opset_import())
    fmt::print("{:<17} {}{}\n", "opset", o.version(),
               o.domain().empty() ? "" : " (" + o.domain() + ")");
  if (!m.producer_name().empty())
    fmt::print("{:<17} {} {}\n", "producer", m.producer_name(), m.producer_version());
  std::map<std::string, std::string> meta;
  for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
  // Graph inputs that are initializers (older exporters list weights as inputs) are weights.
  std::vector<std::string> inits;
  int64_t params = 0;
  for (const auto& t : m.graph().initializer()) {
    inits.push_back(t.name());
    int64_t n = 1;
    for (auto d : t.dims()) n *= d;
    params += n;
  }
  std::vector<std::string> in_dims, out_dims;
  for (const auto& v : m.graph().input())
    if (std::find(inits.begin(), inits.end(), v.name()) == inits.end())
      fmt::print("{:<17} {}\n", "input", describe_value(v, in_dims.empty() ? &in_dims : nullptr));
  for (const auto& v : m.graph().output())
    fmt::print("{:<17} {}\n", "output", describe_value(v, out_dims.empty() ? &out_dims : nullptr));
  // The scale: the exporter's metadata, else fixed spatial sizes, else a single pixel shuffle.
  std::string scale, how;
  if (meta.count("scale")) {
    scale = meta["scale"];
    how = "metadata";
  } else if (in_dims.size() == 4 && out_dims.size() == 4) {
    try {
      const long ih = std::stol(in_dims[2]), oh = std::stol(out_dims[2]);
      if (ih > 0 && oh % ih == 0) scale = std::to_string(oh / ih), how = "input and output sizes";
    } catch (const std::exception&) {
    }
  }
  if (scale.empty()) {
    std::vector<int64_t> blocks;
    for (const auto& n : m.graph().node())
      if (n.op_type() == "DepthToSpace")
        for (const auto& a : n.attribute())
          if (a.name() == "blocksize") blocks.push_back(a.i());
    if (blocks.size() == 1)
      scale = std::to_string(blocks[0]), how = "its DepthToSpace (pixel shuffle)";
  }
  fmt::print("{:<17} {}\n", "scale", scale.empty() ? "unknown" : scale + " (from " + how + ")");
  if (meta.count("arch")) fmt::print("{:<17} {}\n", "arch", meta["arch"]);
  fmt::print("{:<17} {}\n", "nodes", m.graph().node_size());
  fmt::print("{:<17} {}\n", "parameters", params);
  if (show_metadata)
    for (const auto& [k, v] : meta) fmt::print("{:<17} {}\n", "meta." + k, v);
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", torch_command_description("inspect"));
  cmd->footer(
      "Example: pairforge inspect 2x_AnimeJaNai_Standard_V1_Compact.safetensors\n"
      "Reads .pth (zip format, restricted unpickler: nothing in the file is executed),\n"
      ".safetensors and .onnx (inputs, outputs, opset, scale when derivable). A file the tool\n"
      "cannot load exits with code 6.");
  static std::string path;
  static bool show_metadata = false;
  cmd->add_option("model", path, "model file (.pth, .safetensors or .onnx)")->required();
  cmd->add_flag("--metadata", show_metadata, "also print the file's metadata");
  cmd->callback([] {
    if (is_onnx_path(path)) return inspect_onnx(path, show_metadata);
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

// ONNX export: the checker, the graph's interface and metadata, and numbers: onnxruntime-node
// (tools/node_modules, from scripts/install-deps.sh) runs each export at two input sizes and
// must match LibTorch (fp32 <= 1e-4, fp16 <= 2e-2); the SPAN export must match the released
// SPAN .onnx run the same way. Real-CUGAN: every variant, fresh weights, at an even and an odd
// size, dynamic and static, and the checker at every opset.
#include "infer/onnx_export.h"

#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "models/fixtures.h"
#include "models/realcugan.h"

using namespace pf::infer;
using pf::models::LoadedModel;
namespace fs = std::filesystem;

namespace {

const char* const kCompact = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";
const char* const kSpan = "models/2xLiveActionV1_SPAN.safetensors";
const char* const kSpanReleased = "models/2xLiveActionV1_SPAN.onnx";

std::string ort_package() {
  return std::string(PAIRFORGE_SOURCE_DIR) + "/tools/node_modules/onnxruntime-node";
}

// Empty when onnxruntime-node can run; otherwise why not (the test skips with it).
std::string ort_missing() {
  if (std::system("node --version > /dev/null 2>&1") != 0) return "node is not on PATH";
  if (!fs::exists(ort_package()))
    return ort_package() + " is absent; run scripts/install-deps.sh (it installs onnxruntime-node)";
  return "";
}

#define PF_REQUIRE_ORT() \
  if (const auto why = ort_missing(); !why.empty()) GTEST_SKIP() << why

void write_bytes(const std::string& path, const void* data, size_t size) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs `model` in onnxruntime-node on x (NCHW float32; sent as float16 when `fp16`).
torch::Tensor run_ort(const std::string& model, const torch::Tensor& x, bool fp16) {
  const auto in_path = pf::test::temp_path("ort_in.bin"),
             out_path = pf::test::temp_path("ort_out.bin");
  const auto sent = x.to(fp16 ? torch::kFloat16 : torch::kFloat32).contiguous();
  write_bytes(in_path, sent.data_ptr(), static_cast<size_t>(sent.nbytes()));
  const std::string cmd = "node " + std::string(PAIRFORGE_SOURCE_DIR) + "/tests/infer/ort_run.js " +
                          ort_package() + " " + model + " " + in_path + " " +
                          (fp16 ? "float16 " : "float32 ") + std::to_string(x.size(0)) + " " +
                          std::to_string(x.size(1)) + " " + std::to_string(x.size(2)) + " " +
                          std::to_string(x.size(3)) + " " + out_path + " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto raw = read_bytes(out_path);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  const int64_t element = fp16 ? 2 : 4;
  const auto n = static_cast<int64_t>(raw.size()) / element;
  auto out = torch::empty({n}, fp16 ? torch::kFloat16 : torch::kFloat32);
  std::memcpy(out.data_ptr(), raw.data(), raw.size());
  return out.to(torch::kFloat32);
}

torch::Tensor run_torch(LoadedModel& m, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  m.net().eval();
  return m.forward(x);
}

LoadedModel fresh(const std::string& arch, int64_t scale,
                  std::vector<std::pair<std::string, std::string>> params) {
  torch::manual_seed(3);
  LoadedModel m;
  m.spec.arch = arch;
  m.spec.scale = scale;
  m.spec.params = std::move(params);
  m.module = pf::models::build_model(m.spec);
  return m;
}

struct InputSize {
  int64_t n, h, w;
};
// 64x48 and an odd 37x53 (W x H).
const std::vector<InputSize> kSizes = {{1, 48, 64}, {1, 53, 37}};

// Exports `m` with `o` (fp16 set from `fp16`), then compares ORT with LibTorch at each size,
// printing the measured error. Returns the worst.
double export_and_compare(LoadedModel& m, bool fp16, const std::string& label, ExportOptions o = {},
                          const std::vector<InputSize>& sizes = kSizes) {
  o.fp16 = fp16;
  const auto path = pf::test::temp_path(std::string(fp16 ? "fp16" : "fp32") + "_export.onnx");
  export_onnx(m, path, o);
  double worst = 0;
  torch::manual_seed(5);
  for (const auto& size : sizes) {
    const auto x = torch::rand({size.n, m.spec.in_ch, size.h, size.w});
    const auto expected = run_torch(m, x);
    const auto got = run_ort(path, x, fp16);
    EXPECT_EQ(got.numel(), expected.numel()) << label;
    if (got.numel() != expected.numel()) return 1e9;
    worst = std::max(worst, (got - expected.flatten()).abs().max().item<double>());
  }
  std::remove(path.c_str());
  std::printf("[ measured ] %s %s: max |ORT - LibTorch| = %.3g\n", label.c_str(),
              fp16 ? "fp16" : "fp32", worst);
  return worst;
}

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromString(bytes));
  return proto;
}

std::string metadata(const onnx::ModelProto& p, const std::string& key) {
  for (const auto& kv : p.metadata_props())
    if (kv.key() == key) return kv.value();
  return "";
}

}  // namespace

TEST(OnnxExport, GraphInterfaceMetadataAndChecker) {
  auto m = fresh("Compact", 2, {{"num_feat", "8"}, {"num_conv", "2"}, {"act_type", "prelu"}});
  ExportOptions o;
  o.source = "fresh.pth";
  const auto proto = parse(export_onnx_bytes(m, o));
  EXPECT_NO_THROW(onnx::checker::check_model(proto));
  ASSERT_EQ(proto.graph().input_size(), 1);
  const auto& in = proto.graph().input(0);
  EXPECT_EQ(in.name(), "input");
  EXPECT_EQ(proto.graph().output(0).name(), "output");
  const auto& dims = in.type().tensor_type().shape().dim();
  ASSERT_EQ(dims.size(), 4);
  EXPECT_EQ(dims[0].dim_param(), "batch");
  EXPECT_EQ(dims[1].dim_value(), 3);  // channels are static
  EXPECT_EQ(dims[2].dim_param(), "height");
  EXPECT_EQ(dims[3].dim_param(), "width");
  EXPECT_EQ(in.type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(metadata(proto, "arch"), "Compact");
  EXPECT_EQ(metadata(proto, "scale"), "2");
  EXPECT_EQ(metadata(proto, "source"), "fresh.pth");
  EXPECT_EQ(proto.opset_import(0).version(), 17);

  o.fp16 = true;
  parse_static_size("48x64", o);
  const auto fixed = parse(export_onnx_bytes(m, o));
  const auto& fixed_in = fixed.graph().input(0).type().tensor_type();
  EXPECT_EQ(fixed_in.elem_type(), onnx::TensorProto::FLOAT16);
  EXPECT_EQ(fixed_in.shape().dim(2).dim_value(), 48);
  EXPECT_EQ(fixed_in.shape().dim(3).dim_value(), 64);
  EXPECT_EQ(fixed.graph().output(0).type().tensor_type().shape().dim(2).dim_value(), 96);
}

TEST(OnnxExport, RejectsBadOptionsAndArchitectures) {
  auto m = fresh("Compact", 2, {{"num_feat", "8"}, {"num_conv", "2"}, {"act_type", "prelu"}});
  ExportOptions o;
  o.opset = 11;
  EXPECT_THROW(export_onnx_bytes(m, o), pf::ConfigError);
  EXPECT_THROW(parse_static_size("48", o), pf::ConfigError);
  EXPECT_THROW(parse_static_size("0x5", o), pf::ConfigError);
  auto lbo = fresh("LBO", 1, {{"num_feat", "8"}, {"downscale", "2"}});
  EXPECT_THROW(export_onnx_bytes(lbo, ExportOptions{}), pf::ModelError);
}

TEST(OnnxExport, FixtureCompactMatchesLibTorchInOnnxRuntime) {
  PF_REQUIRE_FIXTURE(kCompact);
  PF_REQUIRE_ORT();
  auto m = pf::models::load_model(pf::test::fixture(kCompact));
  EXPECT_LE(export_and_compare(m, false, "JaNai Compact x2"), 1e-4);
  EXPECT_LE(export_and_compare(m, true, "JaNai Compact x2"), 2e-2);
}

TEST(OnnxExport, FixtureSpanMatchesLibTorchInOnnxRuntime) {
  PF_REQUIRE_FIXTURE(kSpan);
  PF_REQUIRE_ORT();
  auto m = pf::models::load_model(pf::test::fixture(kSpan));
  EXPECT_LE(export_and_compare(m, false, "LiveAction SPAN x2"), 1e-4);
  EXPECT_LE(export_and_compare(m, true, "LiveAction SPAN x2"), 2e-2);
}

TEST(OnnxExport, FreshModelsMatchLibTorchInOnnxRuntime) {
  PF_REQUIRE_ORT();
  auto leaky =
      fresh("Compact", 3, {{"num_feat", "16"}, {"num_conv", "3"}, {"act_type", "leakyrelu"}});
  EXPECT_LE(export_and_compare(leaky, false, "fresh Compact x3 leakyrelu"), 1e-4);
  auto relu = fresh("Compact", 4, {{"num_feat", "8"}, {"num_conv", "2"}, {"act_type", "relu"}});
  EXPECT_LE(export_and_compare(relu, false, "fresh Compact x4 relu"), 1e-4);
  // A normalising SPAN in its training form: export folds it, LibTorch's eval forward too.
  auto span = fresh("SPAN", 4,
                    {{"feature_channels", "16"},
                     {"norm", "true"},
                     {"img_range", "255"},
                     {"rgb_mean", "0.4488,0.4371,0.4040"}});
  EXPECT_LE(export_and_compare(span, false, "fresh SPAN x4 norm"), 1e-4);
}

TEST(OnnxExport, SpanExportMatchesTheReleasedOnnx) {
  PF_REQUIRE_FIXTURE(kSpanReleased);
  PF_REQUIRE_ORT();
  auto m = pf::models::load_model(pf::test::fixture(kSpan));
  const auto path = pf::test::temp_path("span_export.onnx");
  export_onnx(m, path, ExportOptions{});
  torch::manual_seed(9);
  const auto x = torch::rand({1, 3, 40, 56});
  const auto ours = run_ort(path, x, false).clamp(0, 1);  // the released graph clips
  const auto released = run_ort(pf::test::fixture(kSpanReleased), x, false);
  std::remove(path.c_str());
  const double diff = (ours - released).abs().max().item<double>();
  std::printf("[ measured ] SPAN export vs released .onnx (ORT): %.3g\n", diff);
  EXPECT_LE(diff, 1e-4);
}

namespace {

// PyTorch's default init shrinks activations layer after layer: through Real-CUGAN's
// two UNets the output would be ~0.08 and UNet2's deepest path would move it by ~3e-4, so a
// wiring error there could hide under the 1e-4 tolerance. Doubled conv weights keep the output
// in an image-like range (std ~0.4) and make that path worth ~1e-2 (the alpha check below).
LoadedModel fresh_cugan(int64_t scale, bool fast = false, bool pro = false, double alpha = 1.0) {
  auto m = fresh("RealCUGAN", scale,
                 {{"fast", fast ? "true" : "false"}, {"pro", pro ? "true" : "false"}});
  torch::NoGradGuard no_grad;
  for (auto& p : m.net().parameters())
    if (p.dim() == 4) p.mul_(2);
  m.net().as<pf::models::RealCUGANImpl>()->options.alpha = alpha;  // LibTorch's side
  return m;
}

}  // namespace

TEST(OnnxExport, RealCuganMetadataCheckerAtEveryOpsetAndErrors) {
  auto m = fresh_cugan(2, /*fast=*/true);
  for (int opset = 13; opset <= 17; ++opset) {
    ExportOptions o;
    o.opset = opset;
    EXPECT_NO_THROW(export_onnx_bytes(m, o)) << "opset " << opset;  // runs the checker
  }
  ExportOptions o;
  o.cugan_alpha = 0.7;
  const auto proto = parse(export_onnx_bytes(m, o));
  EXPECT_EQ(metadata(proto, "arch"), "RealCUGAN");
  EXPECT_EQ(metadata(proto, "scale"), "2");
  EXPECT_EQ(metadata(proto, "fast"), "true");
  EXPECT_EQ(metadata(proto, "pro"), "false");
  EXPECT_EQ(metadata(proto, "alpha"), "0.7");
  const auto& out = proto.graph().output(0).type().tensor_type().shape();
  EXPECT_EQ(out.dim(1).dim_value(), 3);
  EXPECT_EQ(out.dim(2).dim_param(), "out_height");
  EXPECT_EQ(metadata(parse(export_onnx_bytes(m, ExportOptions{})), "alpha"), "1");

  // The fast variant reflects 38 px of context plus up to 3 of rounding to a multiple of 4.
  parse_static_size("41x64", o);
  EXPECT_THROW(export_onnx_bytes(m, o), pf::ConfigError);  // 41 rounds to 44: pad 41, not < 41
  parse_static_size("42x64", o);
  EXPECT_NO_THROW(export_onnx_bytes(m, o));  // 42 rounds to 44: pad 40 < 42

  ExportOptions nan_alpha;
  nan_alpha.cugan_alpha = std::nan("");
  EXPECT_THROW(export_onnx_bytes(m, nan_alpha), pf::ConfigError);
  auto compact = fresh("Compact", 2, {{"num_feat", "8"}, {"num_conv", "2"}, {"act_type", "prelu"}});
  ExportOptions alpha_on_compact;
  alpha_on_compact.cugan_alpha = 0.5;
  EXPECT_THROW(export_onnx_bytes(compact, alpha_on_compact), pf::ConfigError);
}

TEST(OnnxExport, FreshRealCuganMatchesLibTorchInOnnxRuntime) {
  PF_REQUIRE_ORT();
  auto x2 = fresh_cugan(2);
  // Batch 2 at the odd size: the batch stays dynamic through the shape arithmetic.
  EXPECT_LE(export_and_compare(x2, false, "fresh Real-CUGAN x2", {}, {{1, 48, 64}, {2, 53, 37}}),
            1e-4);
  EXPECT_LE(export_and_compare(x2, true, "fresh Real-CUGAN x2"), 2e-2);
  auto x3 = fresh_cugan(3);
  EXPECT_LE(export_and_compare(x3, false, "fresh Real-CUGAN x3"), 1e-4);
  auto x4 = fresh_cugan(4);
  EXPECT_LE(export_and_compare(x4, false, "fresh Real-CUGAN x4"), 1e-4);
  auto pro = fresh_cugan(3, false, /*pro=*/true);
  EXPECT_LE(export_and_compare(pro, false, "fresh Real-CUGAN pro x3"), 1e-4);
  // fast needs more than 38 + 3 px a side, so its odd size is 45x53.
  auto fast = fresh_cugan(2, /*fast=*/true);
  EXPECT_LE(
      export_and_compare(fast, false, "fresh Real-CUGAN fast x2", {}, {{1, 48, 64}, {1, 53, 45}}),
      1e-4);
  ExportOptions weaker;
  weaker.cugan_alpha = 0.7;
  auto alpha = fresh_cugan(2, false, false, 0.7);
  EXPECT_LE(export_and_compare(alpha, false, "fresh Real-CUGAN x2 alpha 0.7", weaker), 1e-4);
  // The knob reaches the graph: the alpha-1 export of the same weights differs.
  EXPECT_GT(
      export_and_compare(alpha, false, "fresh Real-CUGAN x2 alpha 1 vs 0.7", {}, {{1, 48, 64}}),
      1e-3);
}

TEST(OnnxExport, StaticRealCuganMatchesLibTorchInOnnxRuntime) {
  PF_REQUIRE_ORT();
  auto pro4 = fresh_cugan(4, false, /*pro=*/true);
  ExportOptions o;
  o.opset = 13;
  parse_static_size("53x37", o);
  EXPECT_LE(export_and_compare(pro4, false, "fresh Real-CUGAN pro x4 static 37x53 opset 13", o,
                               {{1, 53, 37}}),
            1e-4);
}

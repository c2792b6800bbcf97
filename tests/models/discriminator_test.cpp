// The GAN discriminators: their files' key names, spectral normalisation in both of PyTorch's
// layouts, and their forward passes against an independent Python torch version built from
// torch's own spectral_norm (bench/python/gan_reference.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <set>

#include "core/error.h"
#include "models/checkpoint.h"
#include "models/dunet.h"
#include "models/model.h"
#include "models/spectral_norm.h"
#include "models/unet_discriminator_sn.h"
#include "models/zip.h"
#include "reference_util.h"
#include "temp_dir.h"

using namespace pf::models;

namespace {

std::set<std::string> keys(const torch::nn::Module& m) {
  std::set<std::string> out;
  for (const auto& [name, t] : module_state(m)) out.insert(name);
  return out;
}

// The largest singular value of a conv weight seen as out x (in * k * k).
double spectral_norm_of(const torch::Tensor& w) {
  const auto s = torch::linalg_svdvals(w.reshape({w.size(0), -1}).to(torch::kFloat64));
  return s.max().item<double>();
}

}  // namespace

TEST(Discriminators, KeyNamesAreTheCommunityFiles) {
  torch::manual_seed(1);
  UNetDiscriminatorSN unet(UNetDiscriminatorSNOptions{3, 8, true});
  const auto u = keys(*unet);
  // Real-ESRGAN's RealESRGAN_x4plus_netD.pth: torch.nn.utils.spectral_norm's layout.
  for (const char* k : {"conv0.weight", "conv0.bias", "conv1.weight_orig", "conv1.weight_u",
                        "conv1.weight_v", "conv8.weight_orig", "conv9.weight", "conv9.bias"})
    EXPECT_TRUE(u.count(k)) << k;
  EXPECT_FALSE(u.count("conv1.bias"));
  EXPECT_EQ(u.size(), 2 + 8 * 3 + 2u);

  DUnet dunet(DUnetOptions{3, 8});
  const auto d = keys(*dunet);
  // traiNNer-redux's dunet: parametrizations.spectral_norm's layout, DySample's buffer.
  for (const char* k :
       {"in_to_dim.weight", "e_x1.0.bias", "e_x1.0.parametrizations.weight.original",
        "e_x1.0.parametrizations.weight.0._u", "e_x1.0.parametrizations.weight.0._v",
        "up1.0.offset.weight", "up1.0.offset.bias", "up1.0.scope.weight", "up1.0.init_pos",
        "up1.1.parametrizations.weight.original", "up3.1.bias",
        "end_conv.0.parametrizations.weight.original", "end_conv.4.weight", "end_conv.4.bias"})
    EXPECT_TRUE(d.count(k)) << k;
  EXPECT_FALSE(d.count("end_conv.0.bias"));
  EXPECT_FALSE(d.count("up1.0.scope.bias"));
  // Shapes: DUnet's offsets are 2 x groups (4) x scale^2 (4) channels.
  EXPECT_EQ(dunet->up1[0]->as<DySampleImpl>()->offset->weight.size(0), 32);
  EXPECT_EQ(dunet->up1[0]->as<DySampleImpl>()->init_pos.sizes(),
            (std::vector<int64_t>{1, 32, 1, 1}));
}

TEST(Discriminators, OutputIsAPerPixelMapAndSidesMustBeMultiplesOfEight) {
  torch::manual_seed(2);
  UNetDiscriminatorSN unet(UNetDiscriminatorSNOptions{3, 8, true});
  DUnet dunet(DUnetOptions{3, 8});
  const auto x = torch::rand({2, 3, 32, 24});
  EXPECT_EQ(unet->forward(x).sizes(), (std::vector<int64_t>{2, 1, 32, 24}));
  EXPECT_EQ(dunet->forward(x).sizes(), (std::vector<int64_t>{2, 1, 32, 24}));
  EXPECT_THROW(unet->forward(torch::rand({1, 3, 36, 32})), pf::ModelError);
  EXPECT_THROW(dunet->forward(torch::rand({1, 3, 32, 20})), pf::ModelError);
}

TEST(SpectralNorm, TrainingPassesConvergeToUnitSpectralNorm) {
  for (const auto style : {SpectralNormStyle::kLegacy, SpectralNormStyle::kParametrized}) {
    torch::manual_seed(3);
    SNConv2dOptions o;
    o.in = 16;
    o.out = 24;
    o.kernel = 3;
    o.style = style;
    SNConv2d conv(o);
    torch::NoGradGuard no_grad;
    const double sigma = spectral_norm_of(conv->weight);
    // The normalised weight's largest singular value approaches 1 as u and v converge.
    for (int i = 0; i < 30; ++i) conv->normalized_weight();
    EXPECT_NEAR(spectral_norm_of(conv->normalized_weight()), 1.0, 1e-3)
        << (style == SpectralNormStyle::kLegacy ? "legacy" : "parametrized");
    // A scaled weight is normalised the same: W / sigma(W) does not depend on the scale.
    const auto before = conv->normalized_weight();
    conv->weight.mul_(5);
    EXPECT_TRUE(torch::allclose(conv->normalized_weight(), before, 1e-4, 1e-6));
    // Eval mode leaves u and v alone.
    conv->eval();
    const auto u = conv->u.clone();
    conv->forward(torch::rand({1, 16, 8, 8}));
    EXPECT_TRUE(torch::equal(u, conv->u));
    EXPECT_GT(sigma, 0.0);
  }
  // parametrizations.spectral_norm converges when built (15 iterations): its first weight
  // already has a norm close to 1; the legacy one starts from random u, v.
  torch::manual_seed(4);
  SNConv2dOptions p;
  p.in = 16;
  p.out = 24;
  p.style = SpectralNormStyle::kParametrized;
  SNConv2d conv(p);
  conv->eval();
  torch::NoGradGuard no_grad;
  EXPECT_NEAR(spectral_norm_of(conv->normalized_weight()), 1.0, 0.05);
}

TEST(Discriminators, MatchAPythonTorchForwardWithTorchsSpectralNorm) {
  const std::string python = pf::test::python_with_torch();
  if (python.empty()) GTEST_SKIP() << pf::test::kNoPython;
  pf::test::TempDir dir;
  torch::manual_seed(5);
  const auto x = torch::rand({2, 3, 32, 40});
  write_file_bytes(dir / "x.safetensors", write_safetensors({{"x", from_torch(x)}}, {}));
  for (const std::string arch : {"unetdiscriminatorsn", "dunet"}) {
    torch::nn::AnyModule net;
    if (arch == "dunet") {
      DUnet d(DUnetOptions{3, 8});
      // A fresh DySample's scope is zero (sampling stays on the grid): open it up so the
      // learned offsets are exercised.
      torch::NoGradGuard no_grad;
      for (auto& p : d->named_parameters())
        if (p.key().find("scope") != std::string::npos) p.value().normal_(0, 0.3);
      net = torch::nn::AnyModule(d);
    } else {
      net = torch::nn::AnyModule(UNetDiscriminatorSN(UNetDiscriminatorSNOptions{3, 8, true}));
    }
    PthOptions pth;
    pth.key = "params";
    write_checkpoint(dir / "d.pth", module_state(*net.ptr()), {}, pth);
    net.ptr()->train();
    torch::Tensor ours;
    {
      torch::NoGradGuard no_grad;
      net.forward(x);  // one power iteration per pass, as in Python
      ours = net.forward(x);
    }
    const std::string cmd = python + " " + PAIRFORGE_SOURCE_DIR +
                            "/bench/python/gan_reference.py disc " + arch + " 8 " +
                            (dir / "d.pth") + " " + (dir / "x.safetensors") + " " + (dir / "y.npy");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const auto ref = pf::test::read_npy(dir / "y.npy");
    ASSERT_EQ(ours.sizes(), ref.sizes());
    const double diff = (ours - ref).abs().max().item<double>();
    const double scale = ref.abs().max().item<double>();
    EXPECT_LE(diff, 1e-4 * std::max(1.0, scale)) << arch;
    std::printf("[ measured ] %s vs Python (torch's spectral_norm): max |diff| %.3g of %.3g\n",
                arch.c_str(), diff, scale);
  }
}

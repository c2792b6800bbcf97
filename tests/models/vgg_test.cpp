// VGG19 features for the perceptual losses: torchvision's file layout, the layers asked for,
// ImageNet normalisation and the replicate-padded first convolution.
#include "models/vgg.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "temp_dir.h"
#include "vgg_util.h"

using namespace pf::models;

TEST(Vgg19, NamesFollowTorchvisionsIndices) {
  const auto& n = vgg19_layer_names();
  ASSERT_EQ(n.size(), 37u);  // torchvision's vgg19().features has 37 modules
  EXPECT_EQ(n[0], "conv1_1");
  EXPECT_EQ(n[3], "relu1_2");
  EXPECT_EQ(n[4], "pool1");
  EXPECT_EQ(n[16], "conv3_4");
  EXPECT_EQ(n[34], "conv5_4");
  EXPECT_EQ(n[36], "pool5");
  EXPECT_THROW(Vgg19Features(std::vector<std::string>{"conv6_1"}), pf::ModelError);
}

TEST(Vgg19, LoadsATorchvisionLayoutFileAndComputesTheLayers) {
  pf::test::TempDir dir;
  pf::test::write_random_vgg19(dir / "vgg19.pth", 1);
  // Our writer's plain layout reads back as it is: no wrapper key, torchvision's names.
  const auto ck = read_checkpoint(dir / "vgg19.pth");
  EXPECT_EQ(ck.wrapper, "");
  EXPECT_NE(find_tensor(ck.tensors, "features.34.weight"), nullptr);

  Vgg19Features vgg(std::vector<std::string>{"relu2_2", "conv1_2"});
  vgg->load_weights(dir / "vgg19.pth");
  EXPECT_EQ(vgg->layers(), (std::vector<std::string>{"conv1_2", "relu2_2"}));
  torch::manual_seed(2);
  const auto x = torch::rand({1, 3, 16, 12});
  torch::NoGradGuard no_grad;
  const auto f = vgg->forward(x);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].sizes(), (std::vector<int64_t>{1, 64, 16, 12}));
  EXPECT_EQ(f[1].sizes(), (std::vector<int64_t>{1, 128, 8, 6}));
  EXPECT_GE(f[1].min().item<double>(), 0.0);  // after a ReLU

  // conv1_2 by hand: normalise, replicate-pad conv1_1, relu, zero-pad conv1_2.
  namespace F = torch::nn::functional;
  const auto w = [&](const std::string& k) { return to_torch(*find_tensor(ck.tensors, k)); };
  auto h = (x - torch::tensor({0.485, 0.456, 0.406}).view({1, 3, 1, 1})) /
           torch::tensor({0.229, 0.224, 0.225}).view({1, 3, 1, 1});
  h = F::pad(h, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  h = torch::relu(torch::conv2d(h, w("features.0.weight"), w("features.0.bias")));
  h = torch::conv2d(h, w("features.2.weight"), w("features.2.bias"), 1, 1);
  EXPECT_TRUE(torch::allclose(f[0], h, 1e-4, 1e-5));
}

TEST(Vgg19, AFileOfAnotherNetworkIsRefusedByName) {
  pf::test::TempDir dir;
  write_checkpoint(dir / "other.pth",
                   {{"features.0.weight", from_torch(torch::zeros({64, 3, 3, 3}))}}, {});
  Vgg19Features vgg(std::vector<std::string>{"conv1_2"});
  try {
    vgg->load_weights(dir / "other.pth");
    FAIL();
  } catch (const pf::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("features.0.bias"), std::string::npos) << e.what();
  }
  write_checkpoint(dir / "vgg16ish.pth",
                   {{"features.0.weight", from_torch(torch::zeros({32, 3, 3, 3}))},
                    {"features.0.bias", from_torch(torch::zeros({32}))}},
                   {});
  EXPECT_THROW(vgg->load_weights(dir / "vgg16ish.pth"), pf::ModelError);
}

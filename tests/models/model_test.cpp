// The LibTorch side: architectures against the fixture references, SPAN's two forms and its
// folding, module save/load round trips, presets, and weights that do not fit.
#include "models/model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include "core/error.h"
#include "models/compact.h"
#include "models/fixtures.h"
#include "models/lbo.h"
#include "models/prelu_in_place.h"
#include "models/realcugan.h"
#include "models/span.h"
#include "models/zip.h"
#include "reference_util.h"

#ifdef PAIRFORGE_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

using namespace pf::models;
using pf::test::read_npy;

namespace {

struct FixtureModel {
  const char* file;
  const char* reference;  // folder under reference/
  int64_t scale;
};
const FixtureModel kModels[] = {
    {"models/realesr-animevideov3.pth", "realesr-animevideov3", 4},
    {"models/2x_AnimeJaNai_Standard_V1_Compact.safetensors", "2x_AnimeJaNai_Standard_V1_Compact",
     2},
    {"models/2xLiveActionV1_SPAN.safetensors", "2xLiveActionV1_SPAN", 2},
};
const char* const kImages[] = {"lineart_concert", "anime_bg_club", "photo_coffee", "rgba_eileen"};

torch::Tensor run(LoadedModel& m, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return m.forward(x);
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

#ifdef PAIRFORGE_HAVE_OPENCV
// The image as the references saw it: uint8 RGB / 255 as float32, NCHW, alpha dropped.
torch::Tensor read_rgb(const std::string& path) {
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  EXPECT_FALSE(m.empty()) << path;
  cv::cvtColor(m, m, m.channels() == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
  auto t = torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kUInt8).clone();
  return (t.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32) / 255.0f).contiguous();
}

// floor(clip(y, 0, 1) * 255 + 0.5) in float64, as the fixtures README specifies.
torch::Tensor quantise(const torch::Tensor& y) {
  return (y.to(torch::kFloat64).clamp(0, 1) * 255.0 + 0.5).floor().to(torch::kInt32);
}
#endif

}  // namespace

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override { at::set_num_threads(1); }  // the references used one thread
};

TEST_F(ModelTest, FixtureModelsAreDetectedWithTheirHyperParameters) {
  for (const auto& fm : kModels) {
    PF_REQUIRE_FIXTURE(fm.file);
    auto m = load_model(pf::test::fixture(fm.file));
    EXPECT_EQ(m.spec.scale, fm.scale) << fm.file;
    EXPECT_EQ(m.dtype, DType::kF32);
  }
  auto x4 = load_model(pf::test::fixture(kModels[0].file));
  EXPECT_EQ(x4.spec.arch, "Compact");
  EXPECT_EQ(x4.format, FileFormat::kPth);
  // 18 convs (3·64·9+64, 16 × (64·64·9+64), 64·48·9+48) + 17 PReLU slopes of 64.
  EXPECT_EQ(x4.param_count,
            (3 * 64 * 9 + 64) + 16 * (64 * 64 * 9 + 64) + (64 * 48 * 9 + 48) + 17 * 64);
  auto span = load_model(pf::test::fixture(kModels[2].file));
  EXPECT_EQ(span.spec.arch, "SPAN");
  EXPECT_EQ(span.spec.get_int("feature_channels"), 48);
  EXPECT_FALSE(span.spec.get_bool("norm"));
}

TEST_F(ModelTest, FloatOutputsMatchTheNpyReferences) {
#ifndef PAIRFORGE_HAVE_OPENCV
  GTEST_SKIP() << "needs OpenCV (PAIRFORGE_FULL) to decode the fixture PNGs";
#else
  for (const auto& fm : kModels) {
    PF_REQUIRE_FIXTURE(fm.file);
    auto m = load_model(pf::test::fixture(fm.file));
    const auto x = read_rgb(pf::test::fixture("images/lineart_concert.png"));
    const auto ref = read_npy(
        pf::test::fixture(std::string("reference/") + fm.reference + "/lineart_concert.npy"));
    const auto y = run(m, x).squeeze(0);
    ASSERT_EQ(y.sizes(), ref.sizes()) << fm.file;
    const double diff = max_abs(y, ref);
    EXPECT_LE(diff, 1e-4) << fm.file;
    std::printf("[ measured ] %s: max |y - npy| = %.3g\n", fm.reference, diff);
  }
#endif
}

TEST_F(ModelTest, Uint8OutputsMatchThePngReferences) {
#ifndef PAIRFORGE_HAVE_OPENCV
  GTEST_SKIP() << "needs OpenCV (PAIRFORGE_FULL) to decode the fixture PNGs";
#else
  for (const auto& fm : kModels) {
    PF_REQUIRE_FIXTURE(fm.file);
    auto m = load_model(pf::test::fixture(fm.file));
    for (const char* image : kImages) {
      const auto x = read_rgb(pf::test::fixture(std::string("images/") + image + ".png"));
      const auto ref = (read_rgb(pf::test::fixture(std::string("reference/") + fm.reference + "/" +
                                                   image + ".png")) *
                        255.0f)
                           .round()
                           .to(torch::kInt32);
      const auto y = quantise(run(m, x));
      ASSERT_EQ(y.sizes(), ref.sizes()) << fm.reference << "/" << image;
      const auto diff = (y - ref).abs();
      const int64_t differing = diff.gt(0).sum().item<int64_t>();
      const double fraction = static_cast<double>(differing) / static_cast<double>(diff.numel());
      EXPECT_LE(diff.max().item<int>(), 1) << fm.reference << "/" << image;
      EXPECT_LE(fraction, 0.001) << fm.reference << "/" << image;
      std::printf("[ measured ] %s/%s: %lld of %lld samples differ by 1\n", fm.reference, image,
                  static_cast<long long>(differing), static_cast<long long>(diff.numel()));
    }
  }
#endif
}

TEST_F(ModelTest, SpanTrainingFormMatchesTheReferenceAndTheFold) {
  const char* file = kModels[2].file;
  PF_REQUIRE_FIXTURE(file);
  const auto ck = read_checkpoint(pf::test::fixture(file));
  auto m = load_model(ck, file);
  // The fold (float64) reproduces the released eval_conv weights.
  double fold_diff = 0;
  for (const auto& p : m.net().named_parameters(true)) {
    if (p.key().find("eval_conv") == std::string::npos) continue;
    const auto stored = to_torch(*find_tensor(ck.tensors, p.key()));
    fold_diff = std::max(fold_diff, max_abs(p.value(), stored));
  }
  EXPECT_LE(fold_diff, 1e-6);
  std::printf("[ measured ] SPAN fold vs released eval_conv: max %.3g\n", fold_diff);
#ifdef PAIRFORGE_HAVE_OPENCV
  const auto x = read_rgb(pf::test::fixture("images/lineart_concert.png"));
  const auto ref = read_npy(pf::test::fixture("reference/2xLiveActionV1_SPAN/lineart_concert.npy"));
  const auto eval_out = run(m, x).squeeze(0);
  m.net().train();
  const auto train_out = run(m, x).squeeze(0);
  m.net().eval();
  EXPECT_LE(max_abs(train_out, ref), 1e-4);
  EXPECT_LE(max_abs(eval_out, ref), 1e-4);
  std::printf("[ measured ] SPAN train form vs npy %.3g, eval form vs npy %.3g\n",
              max_abs(train_out, ref), max_abs(eval_out, ref));
#endif
}

TEST_F(ModelTest, CompactInPlacePreluGivesTheGradModeBytes) {
  // Without grad, Compact's PReLUs overwrite the convs' outputs; NCHW and channels-last inputs
  // and per-channel slopes of both signs must give torch::prelu's bytes.
  torch::manual_seed(6);
  CompactOptions o;
  o.num_feat = 12, o.num_conv = 3, o.upscale = 2;
  Compact net(o);
  net->eval();
  for (auto& p : net->named_parameters())
    if (p.key().find("weight") != std::string::npos && p.value().dim() == 1)
      p.value().detach().uniform_(-0.5, 0.5);
  for (const bool channels_last : {false, true}) {
    auto x = torch::rand({2, 3, 21, 17}) - 0.3;
    if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const auto with_grad = net->forward(x).detach();
    torch::NoGradGuard no_grad;
    const auto in_place = net->forward(x);
    EXPECT_TRUE(torch::equal(in_place, with_grad)) << (channels_last ? "NHWC" : "NCHW");
  }
  // The kernel alone, against torch::prelu, including a single shared slope.
  torch::NoGradGuard no_grad;
  auto x = torch::randn({1, 5, 9, 7}).contiguous(torch::MemoryFormat::ChannelsLast);
  for (const auto& w : {torch::randn({5}), torch::randn({1})}) {
    auto y = x.clone();
    ASSERT_TRUE(can_prelu_in_place(y, w));
    prelu_in_place(y, w);
    EXPECT_TRUE(torch::equal(y, torch::prelu(x, w)));
  }
  EXPECT_FALSE(can_prelu_in_place(x.to(torch::kDouble), torch::randn({5})));
  EXPECT_FALSE(can_prelu_in_place(x, torch::randn({3})));
}

TEST_F(ModelTest, SpanInPlaceInferenceGivesTheGradModeBytes) {
  // Without grad, SPAB runs its activations in place; the bytes must not change.
  torch::manual_seed(5);
  SPAN net(SPANOptions::preset("span_s", 2));
  net->eval();
  const auto x = torch::rand({1, 3, 23, 19});
  const auto with_grad = net->forward(x).detach();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(net->forward(x), with_grad));
}

// Channels-last inference runs the 3x3 convolutions with 16k output channels on
// models/conv3x3_nhwc (Winograd F(2x2, 3x3) where the input channels are 16k too); with grad the
// same forward uses torch's. The issue allows 1e-5 between the two on the network's output.
double fast_vs_torch_convs(torch::nn::Module& net,
                           const std::function<torch::Tensor(torch::Tensor)>& f,
                           const torch::Tensor& x_nchw) {
  net.eval();
  use_channels_last(net);
  const auto x = x_nchw.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto torch_convs = f(x).detach();
  torch::NoGradGuard no_grad;
  return max_abs(f(x), torch_convs);
}

TEST_F(ModelTest, FastConvolutionsStayWithin1e5OfTorchs) {
  torch::manual_seed(8);
  SPAN span(SPANOptions::preset("span_s", 2));  // 48 features: every feature conv is fast
  CompactOptions o;
  o.num_feat = 64, o.num_conv = 4, o.upscale = 4;  // the last conv has 48 outputs: fast too
  Compact compact(o);
  const auto x = torch::rand({1, 3, 37, 29});
  const double d_span = fast_vs_torch_convs(
      *span, [&](torch::Tensor t) { return span->forward(t); }, x);
  const double d_compact = fast_vs_torch_convs(
      *compact, [&](torch::Tensor t) { return compact->forward(t); }, x);
  EXPECT_LE(d_span, 1e-5);
  EXPECT_LE(d_compact, 1e-5);
  std::printf("[ measured ] random SPAN-S %.3g, Compact %.3g\n", d_span, d_compact);
#ifdef PAIRFORGE_HAVE_OPENCV
  // The real models on a real image.
  for (const auto& fm : kModels) {
    PF_REQUIRE_FIXTURE(fm.file);
    auto m = load_model(pf::test::fixture(fm.file));
    const auto img = read_rgb(pf::test::fixture("images/lineart_concert.png"));
    const double d = fast_vs_torch_convs(
        m.net(), [&](torch::Tensor t) { return m.forward(t); }, img);
    EXPECT_LE(d, 1e-5) << fm.reference;
    std::printf("[ measured ] %s: fast vs torch convolutions %.3g\n", fm.reference, d);
  }
#endif
}

TEST_F(ModelTest, Conv3XCReparameterisationIsExactInTheInterior) {
  torch::manual_seed(3);
  Conv3XC c(5, 7);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({1, 5, 20, 17});
  c->train();
  const auto branches = c->forward(x);
  c->reparameterize();
  c->eval();
  const auto folded = c->forward(x);
  // conv.0's bias makes the zero-padded border differ (as in the reference); inside it is one conv.
  using torch::indexing::Slice;
  const auto inner = Slice(1, -1);
  EXPECT_LE(max_abs(branches.index({Slice(), Slice(), inner, inner}),
                    folded.index({Slice(), Slice(), inner, inner})),
            1e-5);
}

TEST_F(ModelTest, KeyNamesAndOrderMatchSpandrel) {
  const char* file = kModels[2].file;
  PF_REQUIRE_FIXTURE(file);
  const auto ck = read_checkpoint(pf::test::fixture(file));
  auto built = build_model(detect_spec(ck.tensors, ck.metadata));
  const auto state = module_state(*built.ptr());
  ASSERT_EQ(state.size(), ck.tensors.size());
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(state[i].first, ck.tensors[i].first) << i;
    EXPECT_EQ(state[i].second.shape, ck.tensors[i].second.shape) << state[i].first;
  }
  const auto janai = read_checkpoint(pf::test::fixture(kModels[1].file));
  const auto compact = module_state(*build_model(detect_spec(janai.tensors, janai.metadata)).ptr());
  ASSERT_EQ(compact.size(), janai.tensors.size());
  for (size_t i = 0; i < compact.size(); ++i) EXPECT_EQ(compact[i].first, janai.tensors[i].first);
}

TEST_F(ModelTest, SaveLoadRoundTripIsLosslessInBothFormats) {
  PF_REQUIRE_FIXTURE(kModels[2].file);
  auto m = load_model(pf::test::fixture(kModels[2].file));
  const auto original = module_state(m.net());
  const auto x = torch::rand({1, 3, 24, 20});
  const auto y = run(m, x);
  for (const char* ext : {".pth", ".safetensors"}) {
    const std::string path = pf::test::temp_path(std::string("span") + ext);
    save_model(path, m.net(), m.spec);
    auto again = load_model(path);
    EXPECT_EQ(again.spec.arch, "SPAN");
    EXPECT_EQ(again.spec.params, m.spec.params) << ext;
    const auto state = module_state(again.net());
    ASSERT_EQ(state.size(), original.size());
    for (size_t i = 0; i < state.size(); ++i)
      EXPECT_EQ(state[i].second.bytes, original[i].second.bytes);
    EXPECT_TRUE(torch::equal(run(again, x), y)) << ext;
    std::remove(path.c_str());
  }
}

TEST_F(ModelTest, HalfPrecisionConversion) {
  PF_REQUIRE_FIXTURE(kModels[1].file);
  auto m = load_model(pf::test::fixture(kModels[1].file));
  const std::string path = pf::test::temp_path("janai_fp16.safetensors");
  save_model(path, m.net(), m.spec, DType::kF16);
  auto half = load_model(path);
  EXPECT_EQ(half.dtype, DType::kF16);
  double worst = 0;
  const auto a = module_state(m.net()), b = module_state(half.net());
  for (size_t i = 0; i < a.size(); ++i) {
    const auto ta = to_torch(a[i].second), tb = to_torch(b[i].second);
    worst = std::max(worst, ((ta - tb).abs() / (ta.abs() + 1e-3)).max().item<double>());
  }
  EXPECT_LE(worst, 1.0 / 1024);  // fp16 keeps 11 significant bits
  EXPECT_GT(worst, 0.0);
  std::remove(path.c_str());
}

TEST_F(ModelTest, WeightsThatDoNotFitTheArchAreRefused) {
  PF_REQUIRE_FIXTURE(kModels[1].file);
  auto ck = read_checkpoint(pf::test::fixture(kModels[1].file));
  for (auto& [name, t] : ck.tensors)
    if (name == "body.2.weight") t.shape = {64, 32, 3, 6};  // same bytes, wrong shape
  try {
    load_model(ck, "bent.safetensors");
    FAIL() << "expected a ModelError";
  } catch (const pf::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("body.2.weight"), std::string::npos) << e.what();
  }
  auto ck2 = read_checkpoint(pf::test::fixture(kModels[1].file));
  ck2.tensors.emplace_back("extra.weight", ck2.tensors.back().second);
  EXPECT_THROW(load_model(ck2, "extra.safetensors"), pf::ModelError);
}

TEST_F(ModelTest, PresetsAndSmallArchitectures) {
  torch::NoGradGuard no_grad;
  const auto count = [](torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
  };
  Compact suc(CompactOptions::preset("superultracompact", 2));
  // conv 3→24, 8 × conv 24→24, conv 24→12, 9 PReLU of 24.
  EXPECT_EQ(count(*suc), (3 * 24 * 9 + 24) + 8 * (24 * 24 * 9 + 24) + (24 * 12 * 9 + 12) + 9 * 24);
  EXPECT_EQ(suc->forward(torch::rand({1, 3, 10, 7})).sizes(), (std::vector<int64_t>{1, 3, 20, 14}));
  auto relu = CompactOptions::preset("ultracompact", 3);
  relu.act_type = "relu";
  Compact uc(relu);
  EXPECT_EQ(uc->named_parameters().size(), 2u * 10);  // no activation weights
  EXPECT_THROW(CompactOptions::preset("huge", 2), pf::ModelError);

  // traiNNer-redux's span_arch.py: span 52 and span_s 48 feature channels, norm off.
  SPAN s(SPANOptions::preset("span_s", 4));
  EXPECT_EQ(s->forward(torch::rand({1, 3, 9, 8})).sizes(), (std::vector<int64_t>{1, 3, 36, 32}));
  EXPECT_EQ(s->conv_1->sk->weight.size(0), 48);
  EXPECT_EQ(module_state(*s).front().first, "no_norm");  // norm off: spandrel's marker first
  EXPECT_EQ(SPAN(SPANOptions::preset("span", 2))->conv_1->sk->weight.size(0), 52);

  LBO lbo;
  EXPECT_EQ(lbo->forward(torch::rand({1, 3, 16, 12})).sizes(), (std::vector<int64_t>{1, 3, 8, 6}));
  const auto state = module_state(*lbo);
  EXPECT_EQ(state.front().first, "main.0.weight");
  EXPECT_EQ(state.front().second.shape, (std::vector<int64_t>{64, 12, 3, 3}));
  const auto spec = detect_spec(state, {});
  EXPECT_EQ(spec.arch, "LBO");
  EXPECT_EQ(spec.get_int("downscale"), 2);
  EXPECT_THROW(lbo->forward(torch::rand({1, 3, 15, 12})), pf::ModelError);
}

TEST_F(ModelTest, ReluCompactTakesItsActivationFromMetadata) {
  auto o = CompactOptions::preset("ultracompact", 2);
  o.act_type = "relu";
  Compact c(o);
  const std::string path = pf::test::temp_path("relu.safetensors");
  ModelSpec spec;
  spec.arch = "Compact";
  spec.scale = 2;
  spec.params = {{"num_feat", "64"}, {"num_conv", "8"}, {"act_type", "relu"}};
  save_model(path, *c, spec);
  auto m = load_model(path);
  EXPECT_EQ(m.spec.get("act_type"), "relu");
  EXPECT_EQ(m.spec.get_int("num_conv"), 8);
  std::remove(path.c_str());
}

TEST_F(ModelTest, RealCuganVariantsHaveSpandrelKeysAndSizes) {
  torch::NoGradGuard no_grad;
  struct Case {
    int64_t scale;
    bool fast, pro;
  };
  for (const Case c :
       {Case{2, false, false}, Case{3, false, true}, Case{4, false, false}, Case{2, true, false}}) {
    RealCUGANOptions o;
    o.scale = c.scale;
    o.fast = c.fast;
    o.pro = c.pro;
    RealCUGAN net(o);
    net->eval();
    const auto state = module_state(*net);
    EXPECT_EQ(state.front().first, c.pro ? "pro" : "unet1.conv1.conv.0.weight");
    EXPECT_NE(find_tensor(state, "unet2.conv3.seblock.conv1.weight"), nullptr);
    EXPECT_EQ(find_tensor(state, "conv_final.weight") != nullptr, c.fast || c.scale == 4);
    // Detection from the keys alone gives the variant back.
    const auto spec = detect_spec(state, {});
    EXPECT_EQ(spec.arch, "RealCUGAN");
    EXPECT_EQ(spec.scale, c.scale);
    EXPECT_EQ(spec.get_bool("fast"), c.fast);
    EXPECT_EQ(spec.get_bool("pro"), c.pro);
    // Odd sizes are padded by reflection and cropped back to exactly scale × input.
    const auto y = net->forward(torch::rand({1, 3, 45, 43}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 3, 45 * c.scale, 43 * c.scale}));
  }
  // alpha scales the deepest decoder features: 1 and 0.5 give different pictures, and alpha
  // does not touch the weights.
  RealCUGAN net(RealCUGANOptions{});
  net->eval();
  const auto x = torch::rand({1, 3, 48, 48});
  const auto full = net->forward(x);
  net->options.alpha = 0.5;
  EXPECT_GT(max_abs(net->forward(x), full), 1e-6);
  net->options.alpha = 1.0;
  EXPECT_TRUE(torch::equal(net->forward(x), full));
  EXPECT_THROW(net->forward(torch::rand({1, 3, 16, 16})), pf::ModelError);
  // The smallest sides reflection can pad run; one pixel less is a ModelError naming the
  // minimum, not LibTorch's padding error.
  for (const Case c : {Case{2, false, false}, Case{3, false, false}, Case{4, false, false},
                       Case{2, true, false}}) {
    RealCUGANOptions o;
    o.scale = c.scale, o.fast = c.fast;
    RealCUGAN small(o);
    small->eval();
    const int64_t n = o.min_side();
    for (int64_t side = n; side < n + 2 * o.size_multiple(); ++side)
      EXPECT_EQ(small->forward(torch::rand({1, 3, side, n})).size(2), side * c.scale);
    try {
      // One above a multiple: the largest rounding, which reflection cannot pad.
      const int64_t bad = (n - 1) / o.size_multiple() * o.size_multiple() - o.size_multiple() + 1;
      ASSERT_FALSE(o.can_pad(bad));
      small->forward(torch::rand({1, 3, bad, 64}));
      ADD_FAILURE() << "x" << c.scale << " below " << n << " px";
    } catch (const pf::ModelError& e) {
      EXPECT_NE(std::string(e.what()).find("at least " + std::to_string(n) + " px"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(RealCUGANOptions{}.min_side(), 20);
}

TEST_F(ModelTest, RealCuganMatchesAnIndependentPythonForward) {
  // No released Real-CUGAN is among the fixtures, so random weights go through our .pth
  // writer into bench/python/realcugan_reference.py (the forward written from the
  // equations with torch.nn.functional) and the outputs are compared.
  const std::string python = pf::test::python_with_torch();
  if (python.empty()) GTEST_SKIP() << pf::test::kNoPython;
  struct Case {
    int64_t scale;
    bool fast, pro;
    double alpha;
  };
  torch::manual_seed(11);
  const auto x = torch::rand({1, 3, 44, 40});
  const std::string input = pf::test::temp_path("cugan_x.safetensors");
  write_file_bytes(input, write_safetensors({{"x", from_torch(x)}}, {}));
  for (const Case c : {Case{2, false, false, 0.7}, Case{3, false, true, 1.0},
                       Case{4, false, false, 1.0}, Case{2, true, false, 1.0}}) {
    RealCUGANOptions o;
    o.scale = c.scale;
    o.fast = c.fast;
    o.pro = c.pro;
    o.alpha = c.alpha;
    RealCUGAN net(o);
    net->eval();
    ModelSpec spec;
    spec.arch = "RealCUGAN";
    spec.scale = c.scale;
    spec.params = {{"fast", c.fast ? "true" : "false"}, {"pro", c.pro ? "true" : "false"}};
    const std::string model = pf::test::temp_path("cugan.pth");
    const std::string out = pf::test::temp_path("cugan_y.npy");
    save_model(model, *net, spec);
    const std::string cmd = python + " " + PAIRFORGE_SOURCE_DIR +
                            "/bench/python/realcugan_reference.py " + model + " " + input + " " +
                            out + " " + std::to_string(c.scale) + " " + (c.fast ? "1" : "0") + " " +
                            (c.pro ? "1" : "0") + " " + std::to_string(c.alpha);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    torch::NoGradGuard no_grad;
    const auto ours = net->forward(x).squeeze(0);
    const auto ref = read_npy(out);
    ASSERT_EQ(ours.sizes(), ref.sizes());
    const double diff = max_abs(ours, ref);
    EXPECT_LE(diff, 1e-4) << "scale " << c.scale << (c.fast ? " fast" : "")
                          << (c.pro ? " pro" : "");
    std::printf("[ measured ] Real-CUGAN x%lld%s%s alpha %.1f: max |C++ - Python| = %.3g\n",
                static_cast<long long>(c.scale), c.fast ? " fast" : "", c.pro ? " pro" : "",
                c.alpha, diff);
    std::remove(model.c_str());
    std::remove(out.c_str());
  }
  std::remove(input.c_str());
}

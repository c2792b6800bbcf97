// Real-CUGAN's staged tiles (src/infer/cugan_tiles.cpp): upcunet_v3.py's tile modes and cache
// modes against an independent Python forward written from its equations
// (bench/python/realcugan_reference.py, random weights), and whole-image means on --tile and
// budget tiles against the whole-image forward.
#include "infer/cugan_tiles.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "infer/upscaler.h"
#include "models/checkpoint.h"
#include "models/fixtures.h"
#include "models/model.h"
#include "models/realcugan_stages.h"
#include "reference_util.h"

using namespace pf::infer;
using pf::models::LoadedModel;

namespace {

struct Variant {
  int64_t scale;
  bool pro = false, fast = false;
  std::string name() const {
    return "x" + std::to_string(scale) + (pro ? " pro" : "") + (fast ? " fast" : "");
  }
};
const Variant kOfficialVariants[] = {{2}, {3}, {4}, {2, true}, {3, true}};

// Random weights as upcunet_v3.py's classes draw them (Kaiming normal, fan-out), with the SE
// convs 8x (3x, 4x: unet2's last conv and conv_final 1.5x too), so that the SE gains follow the
// means and the outputs spread over the 8-bit range: then where tiles take their means and where
// alpha goes shows in the output (by up to 40 levels), and a schedule that differs from
// upcunet_v3.py's cannot pass for it. LibTorch's own initialisation leaves both flat.
LoadedModel random_cugan(const Variant& v) {
  torch::manual_seed(100 + v.scale + (v.pro ? 10 : 0) + (v.fast ? 20 : 0));
  LoadedModel m;
  m.spec.arch = "RealCUGAN";
  m.spec.scale = v.scale;
  m.spec.params = {{"fast", v.fast ? "true" : "false"}, {"pro", v.pro ? "true" : "false"}};
  m.module = pf::models::build_model(m.spec);
  torch::NoGradGuard no_grad;
  for (auto& p : m.net().named_parameters()) {
    const auto& key = p.key();
    if (p.value().dim() == 4)
      torch::nn::init::kaiming_normal_(p.value(), 0, torch::kFanOut, torch::kReLU);
    if (key.find("seblock") != std::string::npos) p.value().mul_(8);
    if (v.scale != 2 && (key.rfind("unet2.conv_bottom", 0) == 0 || key.rfind("conv_final", 0) == 0))
      p.value().mul_(1.5);
  }
  m.net().eval();
  return m;
}

pf::models::RealCUGANImpl& net_of(LoadedModel& m) {
  return *m.net().as<pf::models::RealCUGANImpl>();
}

torch::Tensor random_image(int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  // Smooth content plus noise: a flat random field would make every tile's mean the same.
  auto base = torch::rand({3, h / 16 + 2, w / 16 + 2});
  base = torch::nn::functional::interpolate(base.unsqueeze(0),
                                            torch::nn::functional::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{h, w})
                                                .mode(torch::kBilinear)
                                                .align_corners(false))[0];
  return (0.8 * base + 0.2 * torch::rand({3, h, w})).clamp(0, 1);
}

// floor(clip(y, 0, 1) * 255 + 0.5), as pairforge writes 8-bit images.
torch::Tensor to_u8(const torch::Tensor& y) {
  return (y.to(torch::kFloat64).clamp(0, 1) * 255.0 + 0.5).floor().to(torch::kInt32);
}

struct U8Diff {
  int max = 0;
  int64_t differing = 0, total = 0;
  double mean = 0;
};
U8Diff compare(const torch::Tensor& a_u8, const torch::Tensor& b_u8) {
  const auto d = (a_u8.to(torch::kInt32) - b_u8.to(torch::kInt32)).abs();
  return {d.max().item<int>(), d.gt(0).sum().item<int64_t>(), d.numel(),
          d.to(torch::kFloat64).mean().item<double>()};
}

// Runs the Python reference on cases (models and inputs written to a temp folder); returns its
// uint8 outputs (C x H*s x W*s) in order.
class Reference {
 public:
  Reference() : python_(pf::test::python_with_torch()) {}
  bool available() const { return !python_.empty(); }

  // The model and image files for a case; returns its index.
  size_t add(LoadedModel& m, const torch::Tensor& image, double alpha, int64_t tile_mode,
             int cache_mode, std::optional<TileSize> crop = {}) {
    const size_t i = cases_.size();
    const std::string stem = pf::test::temp_path("cugan_case" + std::to_string(i));
    pf::models::save_model(stem + ".pth", m.net(), m.spec);
    pf::models::write_file_bytes(
        stem + ".safetensors",
        pf::models::write_safetensors({{"x", pf::models::from_torch(image.unsqueeze(0))}}, {}));
    nlohmann::json c{{"model", stem + ".pth"},        {"input", stem + ".safetensors"},
                     {"out", stem + ".npy"},          {"scale", m.spec.scale},
                     {"pro", m.spec.get_bool("pro")}, {"alpha", alpha},
                     {"tile_mode", tile_mode},        {"cache_mode", cache_mode}};
    if (crop) c["crop"] = {crop->h, crop->w};
    cases_.push_back(c);
    return i;
  }

  std::vector<torch::Tensor> run() {
    const std::string list = pf::test::temp_path("cugan_cases.json");
    std::ofstream(list) << cases_.dump();
    const std::string cmd = python_ + " " + PAIRFORGE_SOURCE_DIR +
                            "/bench/python/realcugan_reference.py --cases " + list;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::vector<torch::Tensor> out;
    for (const auto& c : cases_) {
      out.push_back(pf::test::read_npy(c["out"].get<std::string>()));
      for (const char* key : {"model", "input", "out"})
        std::remove(c[key].get<std::string>().c_str());
    }
    std::remove(list.c_str());
    return out;
  }

 private:
  std::string python_;
  nlohmann::json cases_ = nlohmann::json::array();
};

UpscaleOptions cpu(int64_t tile_mode, int cache_mode, double alpha, int64_t batch = 1) {
  UpscaleOptions o;
  o.device = "cpu";
  o.tile_mode = tile_mode;
  o.cache_mode = cache_mode;
  o.cugan_alpha = alpha;
  o.batch = batch;
  return o;
}

}  // namespace

class CuganTiles : public ::testing::Test {
 protected:
  void SetUp() override { at::set_num_threads(1); }  // as the reference runs
};

TEST_F(CuganTiles, TileModeSizesAreUpcunetV3s) {
  // Worked from upcunet_v3.py's crop_size formulas by hand: 3x rounds to multiples of 4, the
  // others to 2; tile_mode 1 halves the longer side; N >= 2 is lowered to 128 px per tile.
  const auto tile = [](int64_t scale, int64_t w, int64_t h, int64_t mode) {
    pf::models::RealCUGANOptions o;
    o.scale = scale;
    return official_cugan_tiling(o, 0, 1.0, mode, w, h).tile;
  };
  EXPECT_EQ(tile(3, 300, 272, 2).w, 152);  // (299 // 8 * 8 + 8) // 2
  EXPECT_EQ(tile(3, 300, 272, 2).h, 136);
  EXPECT_EQ(tile(2, 300, 272, 2).w, 150);
  EXPECT_EQ(tile(2, 61, 45, 1).w, 32);  // (60 // 4 * 4 + 4) // 2
  EXPECT_EQ(tile(2, 61, 45, 1).h, 46);
  EXPECT_EQ(tile(3, 45, 61, 1).h, 32);
  EXPECT_EQ(tile(3, 45, 61, 1).w, 48);
  EXPECT_EQ(tile(4, 1920, 1080, 5).w, 384);
  EXPECT_EQ(tile(4, 1920, 1080, 5).h, 216);
  EXPECT_EQ(tile(2, 390, 385, 3).h, 130);  // (384 // 6 * 6 + 6) // 3
  pf::models::RealCUGANOptions x3;
  x3.scale = 3;
  EXPECT_THROW(official_cugan_tiling(x3, 0, 1.0, TileSize{30, 32}), pf::ConfigError)
      << "3x tiles are multiples of 4";
  EXPECT_THROW(official_cugan_tiling(x3, 4, 1.0, TileSize{32, 32}), pf::ConfigError);
  // Cache mode 2 needs 3 x 3 tiles; with fewer, upcunet_v3.py runs cache mode 1.
  EXPECT_EQ(official_cugan_tiling(x3, 2, 1.0, 3, 400, 383).cache, StageCache::kKeep8Bit);
  EXPECT_EQ(official_cugan_tiling(x3, 2, 1.0, 2, 400, 400).cache, StageCache::kKeep8Bit);
  EXPECT_EQ(official_cugan_tiling(x3, 2, 1.0, 3, 400, 384).means, SeMeans::kOddTiles);

  Reference ref;
  if (!ref.available()) GTEST_SKIP() << pf::test::kNoPython;
  // The same against the Python reference's copy of the formulas, over many sizes.
  nlohmann::json queries = nlohmann::json::array();
  std::vector<TileSize> ours;
  for (const int64_t scale : {2, 3, 4})
    for (const int64_t mode : {1, 2, 3, 4, 7})
      for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{45, 61},
                                                                         {61, 45},
                                                                         {272, 300},
                                                                         {385, 390},
                                                                         {1080, 1920},
                                                                         {2161, 3839},
                                                                         {999, 1001}}) {
        if (mode >= 2 && std::min(h, w) < 128) continue;  // upcunet_v3.py divides by zero there
        queries.push_back({scale, h, w, mode});
        pf::models::RealCUGANOptions o;
        o.scale = scale;
        ours.push_back(official_cugan_tiling(o, 0, 1.0, mode, w, h).tile);
      }
  const std::string in = pf::test::temp_path("crops_in.json"),
                    out = pf::test::temp_path("crops_out.json");
  std::ofstream(in) << queries.dump();
  const std::string cmd = pf::test::python_with_torch() + " " + PAIRFORGE_SOURCE_DIR +
                          "/bench/python/realcugan_reference.py --crops " + in + " " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto theirs = nlohmann::json::parse(std::ifstream(out));
  ASSERT_EQ(theirs.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(theirs[i][0].get<int64_t>(), ours[i].h) << queries[i].dump();
    EXPECT_EQ(theirs[i][1].get<int64_t>(), ours[i].w) << queries[i].dump();
  }
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_F(CuganTiles, WholeImageMeansGiveTheWholeImageResult) {
  // 3 x 4 tiles (and a single row) of 24 px on sizes that are not multiples of them, kept or
  // recomputed, in batches: the whole-image forward within float rounding, for every variant.
  const auto image = random_image(70, 90, 1);
  for (const Variant v : {Variant{2}, Variant{3, true}, Variant{4}, Variant{2, false, true}}) {
    auto m = random_cugan(v);
    auto& net = net_of(m);
    net.options.alpha = 0.7;
    torch::Tensor whole;
    {
      torch::NoGradGuard no_grad;
      whole = net.forward(image.unsqueeze(0))[0];
    }
    for (const auto cache : {StageCache::kKeep, StageCache::kRecompute}) {
      auto tiling = exact_cugan_tiling(net.options, cache, 0.7, 24, 90, 70);
      EXPECT_EQ(tiling.means, SeMeans::kWholeImage);
      tiling.tile = {24, 24};  // under the planner's 32 px floor, for more tiles
      tiling.batch = cache == StageCache::kKeep ? 5 : 1;
      const auto tiled = cugan_tiled_upscale(net, image, tiling, torch::kCPU, torch::kFloat32);
      const double err = (tiled - whole).abs().max().item<double>();
      EXPECT_LE(err, 1e-4) << v.name();
      std::printf("[ measured ] %s alpha 0.7, 3x4 tiles of 24, %s: max |tiled - whole| = %.3g\n",
                  v.name().c_str(), cache == StageCache::kKeep ? "kept" : "recomputed", err);
    }
  }
}

TEST_F(CuganTiles, CacheModesMatchUpcunetV3OnManyTiles) {
  // Tiles of 24 x 28 px on 70 x 90 (not multiples): 3 x 4 tiles, two in odd rows and columns for
  // cache mode 2's running means. Every official variant, every cache mode, alpha 0.7; ours in
  // batches of 5 tiles (upcunet_v3.py runs them one by one).
  Reference ref;
  if (!ref.available()) GTEST_SKIP() << pf::test::kNoPython;
  const auto image = random_image(70, 90, 2);
  const TileSize crop{28, 24};
  std::vector<torch::Tensor> ours, whole;
  std::vector<std::string> labels;
  for (const Variant& v : kOfficialVariants) {
    auto m = random_cugan(v);
    auto& net = net_of(m);
    net.options.alpha = 0.7;
    {
      torch::NoGradGuard no_grad;
      whole.push_back(to_u8(net.forward(image.unsqueeze(0))[0]));
    }
    // Enough of the output off the clipping limits for differences to show.
    const auto& w = whole.back();
    const double inside = w.gt(0).logical_and(w.lt(255)).to(torch::kFloat64).mean().item<double>();
    EXPECT_GE(inside, 0.05) << v.name();
    for (int cache = 0; cache <= 3; ++cache) {
      auto tiling = official_cugan_tiling(net.options, cache, 0.7, crop);
      tiling.batch = 5;
      ours.push_back(to_u8(cugan_tiled_upscale(net, image, tiling, torch::kCPU, torch::kFloat32)));
      ref.add(m, image, 0.7, 2, cache, crop);
      labels.push_back(v.name() + " cache " + std::to_string(cache));
    }
  }
  const auto theirs = ref.run();
  for (size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].sizes(), theirs[i].sizes()) << labels[i];
    const auto d = compare(ours[i], theirs[i]);
    const auto w = compare(ours[i], whole[i / 4]);
    EXPECT_LE(d.max, 1) << labels[i];
    EXPECT_LE(d.differing, d.total / 1000) << labels[i];
    std::printf(
        "[ measured ] %s: vs Python max %d (%lld of %lld differ); official tiles vs whole "
        "image max %d, mean %.3f\n",
        labels[i].c_str(), d.max, static_cast<long long>(d.differing),
        static_cast<long long>(d.total), w.max, w.mean);
  }
}

TEST_F(CuganTiles, TileModesThroughTheUpscalerMatchUpcunetV3) {
  // tile_mode 1 on a small odd-sized image for every official variant and cache mode (2 falls
  // back to 1 there, as in upcunet_v3.py: once); 2 and 3 need 128 px per tile, so one variant
  // each on the smallest sizes that give 2 x 2 and 3 x 3 tiles (3 x 3 with cache 2: the
  // odd-tile pass itself). In batches of 2, with the Upscaler's channels-last weights.
  Reference ref;
  if (!ref.available()) GTEST_SKIP() << pf::test::kNoPython;
  struct Case {
    Variant v;
    int64_t h, w, tile_mode;
    int cache;
  };
  std::vector<Case> cases;
  for (const Variant& v : kOfficialVariants)
    for (const int cache : {0, 1, 3}) cases.push_back({v, 45, 62, 1, cache});
  cases.push_back({{2}, 45, 62, 1, 2});
  cases.push_back({{3, true}, 259, 262, 2, 0});
  cases.push_back({{2}, 385, 390, 3, 2});
  std::vector<torch::Tensor> ours;
  for (const auto& c : cases) {
    auto m = random_cugan(c.v);
    const auto image = random_image(c.h, c.w, 3);
    ref.add(m, image, 0.7, c.tile_mode, c.cache);
    Upscaler up(std::move(m), cpu(c.tile_mode, c.cache, 0.7, 2));
    ours.push_back(to_u8(up.upscale(image)));
  }
  const auto theirs = ref.run();
  for (size_t i = 0; i < ours.size(); ++i) {
    const auto& c = cases[i];
    const std::string label = c.v.name() + " " + std::to_string(c.w) + "x" + std::to_string(c.h) +
                              " tile mode " + std::to_string(c.tile_mode) + " cache " +
                              std::to_string(c.cache);
    ASSERT_EQ(ours[i].sizes(), theirs[i].sizes()) << label;
    const auto d = compare(ours[i], theirs[i]);
    EXPECT_LE(d.max, 1) << label;
    // Kept in 8 bits (cache 1, and 2 on fewer than 3 x 3 tiles), the stage outputs round the
    // last-bit differences of channels-last convs into whole steps: more samples differ by 1.
    const bool rounded = c.cache == 1 || (c.cache == 2 && c.tile_mode < 3);
    EXPECT_LE(d.differing, d.total / (rounded ? 30 : 1000)) << label;
    std::printf("[ measured ] %s: vs Python max %d (%lld of %lld differ)\n", label.c_str(), d.max,
                static_cast<long long>(d.differing), static_cast<long long>(d.total));
  }
}

TEST_F(CuganTiles, BudgetTilesKeepWhatFitsAndRecomputeTheRest) {
  const auto options = [](int64_t tile, int cache, int64_t budget_mb) {
    auto o = cpu(0, cache, 1.0);
    o.tile = tile;
    o.memory_budget_mb = budget_mb;
    return o;
  };
  const pf::models::RealCUGANOptions net;
  auto m = random_cugan({2});
  const int64_t per_pixel = bytes_per_pixel(m.spec, Precision::kFp32);
  Upscaler budget(std::move(m), options(0, -1, 64));
  EXPECT_FALSE(budget.cugan_tiling_for(80, 60)) << "fits whole";
  // Kept stage outputs take about half a window's bytes per pixel, for the whole image: where
  // the whole image does not fit, they do not either, so the stages are recomputed.
  const auto big = budget.cugan_tiling_for(1920, 1080);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->cache, StageCache::kRecompute);
  EXPECT_EQ(big->means, SeMeans::kWholeImage);
  const int64_t big_bytes = cugan_tiling_bytes(net, *big, 1920, 1080, per_pixel, 4);
  EXPECT_LE(big_bytes, 64ll << 20);
  EXPECT_GT(big_bytes, 48ll << 20) << "the largest tiles that fit";
  EXPECT_EQ(budget.tile_size_for(1920, 1080).w, big->tile.w);
  // --tile 64 on 200 x 150: 4 x 3 tiles of 50 px, whose kept outputs fit 512 MB, not 16.
  Upscaler tiled(random_cugan({2}), options(64, -1, 512));
  const auto kept = tiled.cugan_tiling_for(200, 150);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->cache, StageCache::kKeep);
  EXPECT_EQ(kept->tile.w, 50);
  EXPECT_EQ(kept->tile.h, 50);
  EXPECT_LE(cugan_tiling_bytes(net, *kept, 200, 150, per_pixel, 4), 512ll << 20);
  Upscaler small(random_cugan({2}), options(64, -1, 16));
  EXPECT_EQ(small.cugan_tiling_for(200, 150)->cache, StageCache::kRecompute);
  // Asked to keep them beyond the budget: kept, in the smallest tiles (with a warning).
  Upscaler insist(random_cugan({2}), options(0, 0, 64));
  const auto insisted = insist.cugan_tiling_for(1920, 1080);
  EXPECT_EQ(insisted->cache, StageCache::kKeep);
  EXPECT_EQ(insisted->tile.w, 32);
  std::printf("[ measured ] Real-CUGAN x2 1920x1080 at 64 MB: tiles %lldx%lld, %lld MB\n",
              static_cast<long long>(big->tile.w), static_cast<long long>(big->tile.h),
              static_cast<long long>(big_bytes >> 20));
}

TEST_F(CuganTiles, TileAndBudgetResultsDoNotDependOnTheTileSize) {
  auto m = random_cugan({3});
  const auto image = random_image(83, 101, 4);
  torch::Tensor whole;
  {
    torch::NoGradGuard no_grad;
    whole = m.forward(image.unsqueeze(0))[0];
  }
  const auto state = pf::models::module_state(m.net());
  const auto copy = [&] {
    LoadedModel c;
    c.spec = m.spec;
    c.module = pf::models::build_model(m.spec);
    pf::models::load_state(c.net(), state, "copy");
    return c;
  };
  for (const int64_t tile : {32, 40, 64}) {
    auto o = cpu(0, -1, 1.0, 3);
    o.tile = tile;
    Upscaler up(copy(), o);
    const double err = (up.upscale(image) - whole).abs().max().item<double>();
    EXPECT_LE(err, 1e-4) << "tile " << tile;
  }
  auto o = cpu(0, 3, 1.0);
  o.memory_budget_mb = 16;
  Upscaler budget(copy(), o);
  ASSERT_TRUE(budget.cugan_tiling_for(101, 83));
  EXPECT_LE((budget.upscale(image) - whole).abs().max().item<double>(), 1e-4);
}

TEST_F(CuganTiles, CacheModeIsForRealCuganAndTooSmallTilesAreRefused) {
  LoadedModel compact;
  compact.spec.arch = "Compact";
  compact.spec.scale = 2;
  compact.spec.params = {{"num_feat", "8"}, {"num_conv", "2"}, {"act_type", "prelu"}};
  compact.module = pf::models::build_model(compact.spec);
  EXPECT_THROW(Upscaler(std::move(compact), cpu(0, 0, 1.0)), pf::ConfigError);
  EXPECT_THROW(Upscaler(random_cugan({2}), cpu(0, 4, 1.0)), pf::ConfigError);
  // x3 tile_mode 1 on 19 x 18 (the whole image works): two 12 px tiles would need 19 px of
  // reflection on the right, as many as the image has.
  Upscaler up(random_cugan({3}), cpu(1, 0, 1.0));
  EXPECT_EQ(Upscaler(random_cugan({3}), cpu(0, -1, 1.0)).upscale(torch::rand({3, 18, 19})).size(1),
            54);
  try {
    up.upscale(torch::rand({3, 18, 19}));
    FAIL() << "expected a ModelError";
  } catch (const pf::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("larger tiles"), std::string::npos) << e.what();
  }
}

// The tiled upscaler: tile geometry, tiled == untiled, batching, the memory budget, alpha, the
// fixture reference through the tiled path, and device/precision errors.
#include "infer/upscaler.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>

#include "core/error.h"
#include "models/fixtures.h"

using namespace pf::infer;
using pf::models::LoadedModel;

namespace {

const char* const kCompact = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";
const char* const kSpan = "models/2xLiveActionV1_SPAN.safetensors";

LoadedModel fresh_compact(int64_t scale) {
  torch::manual_seed(7);
  pf::models::ModelSpec spec;
  spec.arch = "Compact";
  spec.scale = scale;
  spec.params = {{"num_feat", "16"}, {"num_conv", "4"}, {"act_type", "prelu"}};
  LoadedModel m;
  m.spec = spec;
  m.module = pf::models::build_model(spec);
  return m;
}

torch::Tensor random_image(int64_t c, int64_t h, int64_t w) {
  torch::manual_seed(11);
  return torch::rand({c, h, w});
}

UpscaleOptions cpu_options(int64_t tile, int64_t overlap, int64_t batch = 1) {
  UpscaleOptions o;
  o.device = "cpu";
  o.tile = tile;
  o.overlap = overlap;
  o.batch = batch;
  return o;
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST(TileGrid, CoresCoverEveryPixelOnceAndWindowsStayInside) {
  const auto grid = plan_tiles(101, 67, 32, 8);
  EXPECT_EQ(grid.window_w, 48);
  EXPECT_EQ(grid.window_h, 48);
  EXPECT_EQ(grid.windows.size(), 4u * 3u);
  std::vector<int> hits(101 * 67, 0);
  for (const auto& t : grid.windows) {
    EXPECT_GE(t.x, 0);
    EXPECT_LE(t.x + grid.window_w, 101);
    EXPECT_GE(t.y, 0);
    EXPECT_LE(t.y + grid.window_h, 67);
    // The core lies inside its window, with the full context wherever the image allows it.
    EXPECT_LE(t.x, t.core_x);
    EXPECT_GE(t.x + grid.window_w, t.core_x + t.core_w);
    if (t.core_x >= 8 && t.core_x + t.core_w + 8 <= 101) {
      EXPECT_GE(t.core_x - t.x, 8);
      EXPECT_GE(t.x + grid.window_w - (t.core_x + t.core_w), 8);
    }
    for (int64_t y = t.core_y; y < t.core_y + t.core_h; ++y)
      for (int64_t x = t.core_x; x < t.core_x + t.core_w; ++x) ++hits[y * 101 + x];
  }
  for (int h : hits) ASSERT_EQ(h, 1);
}

TEST(TileGrid, TileLargerThanImageIsOneWindow) {
  const auto grid = plan_tiles(40, 30, 0, 16);
  ASSERT_EQ(grid.windows.size(), 1u);
  EXPECT_EQ(grid.window_w, 40);
  EXPECT_EQ(grid.window_h, 30);
  EXPECT_THROW(plan_tiles(0, 30, 8, 4), pf::InputError);
  EXPECT_THROW(plan_tiles(40, 30, 8, -1), pf::ConfigError);
}

TEST(Upscaler, TiledEqualsUntiledForTheFixtureCompact) {
  PF_REQUIRE_FIXTURE(kCompact);
  const auto image = random_image(3, 70, 90);
  Upscaler whole(pf::models::load_model(pf::test::fixture(kCompact)), cpu_options(0, 0));
  const auto reference = whole.upscale(image);
  ASSERT_EQ(reference.sizes(), (std::vector<int64_t>{3, 140, 180}));
  // The default 16 px context is a little short of Compact's 18 px receptive radius, which is
  // why the bound is 1/255 and not float noise; 18 px of context makes it exact.
  Upscaler tiled(pf::models::load_model(pf::test::fixture(kCompact)), cpu_options(24, 16));
  const double seam = max_abs(tiled.upscale(image), reference);
  EXPECT_LE(seam, 1.0 / 255);
  Upscaler covered(pf::models::load_model(pf::test::fixture(kCompact)), cpu_options(24, 18));
  EXPECT_LE(max_abs(covered.upscale(image), reference), 1e-5);
  std::printf("[ measured ] Compact x2 tile 24, overlap 16: max |tiled - untiled| = %.3g\n", seam);
}

TEST(Upscaler, TiledEqualsUntiledForSpan) {
  PF_REQUIRE_FIXTURE(kSpan);
  const auto image = random_image(3, 64, 77);
  Upscaler whole(pf::models::load_model(pf::test::fixture(kSpan)), cpu_options(0, 0));
  Upscaler tiled(pf::models::load_model(pf::test::fixture(kSpan)), cpu_options(32, 16, 3));
  const double seam = max_abs(tiled.upscale(image), whole.upscale(image));
  EXPECT_LE(seam, 1.0 / 255);
  std::printf("[ measured ] SPAN x2 tile 32, overlap 16, batch 3: max |tiled - untiled| = %.3g\n",
              seam);
}

TEST(Upscaler, BatchingDoesNotChangeTheResult) {
  const auto image = random_image(3, 50, 61);
  Upscaler one(fresh_compact(3), cpu_options(16, 8, 1));
  Upscaler four(fresh_compact(3), cpu_options(16, 8, 4));
  int64_t calls = 0, last_total = 0;
  const auto batched = four.upscale(image, [&](int64_t done, int64_t total) {
    ++calls;
    last_total = total;
    EXPECT_LE(done, total);
  });
  EXPECT_LE(max_abs(one.upscale(image), batched), 1e-6);
  EXPECT_EQ(last_total, 4 * 4);  // 61 and 50 px in 16 px cores: 4 x 4 windows
  EXPECT_EQ(calls, 4);           // in batches of 4
}

TEST(Upscaler, OverlappedScheduleIsByteIdenticalToTheStraightPathOnTheCpu) {
  const auto image = random_image(3, 40, 52);
  // Tile 0: one window; 24: 2 x 3 windows; 12: 4 x 5 windows (batches of 1 to 7, short last).
  for (const int64_t tile : {0, 24, 12}) {
    for (const int64_t batch : {1, 2, 3, 7}) {
      SCOPED_TRACE("tile " + std::to_string(tile) + ", batch " + std::to_string(batch));
      auto options = cpu_options(tile, 6, batch);
      options.transfers = Transfers::kStraight;
      Upscaler straight(fresh_compact(2), options);
      options.transfers = Transfers::kOverlapped;
      Upscaler overlapped(fresh_compact(2), options);
      std::vector<int64_t> straight_done, overlapped_done;
      const auto a =
          straight.upscale(image, [&](int64_t d, int64_t) { straight_done.push_back(d); });
      const auto b =
          overlapped.upscale(image, [&](int64_t d, int64_t) { overlapped_done.push_back(d); });
      ASSERT_EQ(a.sizes(), b.sizes());
      EXPECT_EQ(std::memcmp(a.data_ptr(), b.data_ptr(), a.numel() * sizeof(float)), 0)
          << "max |difference| " << max_abs(a, b);
      EXPECT_EQ(straight_done, overlapped_done) << "same progress steps";
    }
  }
}

TEST(Upscaler, OverlappedScheduleMatchesInBf16) {
  const auto image = random_image(3, 30, 34);
  auto options = cpu_options(16, 6, 2);
  options.precision = Precision::kBf16;
  options.transfers = Transfers::kStraight;
  Upscaler straight(fresh_compact(2), options);
  options.transfers = Transfers::kOverlapped;
  Upscaler overlapped(fresh_compact(2), options);
  EXPECT_TRUE(torch::equal(straight.upscale(image), overlapped.upscale(image)));
}

TEST(Upscaler, RealCuganTileModesCutItsGrid) {
  // upcunet_v3.py: 1 halves the longer side; N >= 2 is an N x N grid, lowered so tiles keep
  // 128 px on the short side; 0 is off.
  EXPECT_EQ(grid_tile_size(1920, 1080, 1).w, 960);
  EXPECT_EQ(grid_tile_size(1920, 1080, 1).h, 1080);
  EXPECT_EQ(grid_tile_size(600, 1001, 1).h, 501);
  EXPECT_EQ(grid_tile_size(1920, 1080, 3).w, 640);
  EXPECT_EQ(grid_tile_size(1920, 1080, 3).h, 360);
  EXPECT_EQ(grid_tile_size(1920, 300, 4).w, 960) << "300 px allow two 128 px rows only";
  EXPECT_EQ(grid_tile_size(200, 100, 5).w, 200) << "under 256 px: one tile";
  EXPECT_THROW(grid_tile_size(64, 64, -1), pf::ConfigError);
  const TileSize t = grid_tile_size(1920, 1080, 3);
  EXPECT_EQ(plan_tiles(1920, 1080, t.w, t.h, 16).windows.size(), 9u);
  EXPECT_EQ(plan_tiles(1920, 1080, 960, 1080, 16).windows.size(), 2u);

  // Through the Upscaler: a 2x2 grid on 260x256 equals the whole-image pass within 1e-5
  // (16 px of context cover this Compact's 6-conv receptive radius).
  const auto image = random_image(3, 256, 260);
  Upscaler whole(fresh_compact(2), cpu_options(0, 16));
  auto options = cpu_options(0, 16);
  options.tile_mode = 2;
  Upscaler gridded(fresh_compact(2), options);
  EXPECT_EQ(gridded.tile_size_for(260, 256).w, 130);
  EXPECT_LT(max_abs(whole.upscale(image), gridded.upscale(image)), 1e-5);
}

TEST(Upscaler, AutomaticTileFollowsTheMemoryBudget) {
  auto options = cpu_options(0, 16);
  options.memory_budget_mb = 512;
  Upscaler large(fresh_compact(2), options);
  EXPECT_EQ(large.tile_for(64, 64), 0) << "a small image goes through whole";
  const int64_t big = large.tile_for(3840, 2160);
  EXPECT_GT(big, 0);
  options.memory_budget_mb = 64;
  Upscaler small(fresh_compact(2), options);
  const int64_t little = small.tile_for(3840, 2160);
  EXPECT_LT(little, big);
  // The window the budget allows, times its bytes per pixel, stays within the budget.
  const int64_t window = little + 2 * 16;
  EXPECT_LE(window * window * bytes_per_pixel(small.spec(), Precision::kFp32), 64ll << 20);
  std::printf("[ measured ] Compact(16 feat) x2, 3840x2160: tile %lld at 512 MB, %lld at 64 MB\n",
              static_cast<long long>(big), static_cast<long long>(little));
}

TEST(Upscaler, AlphaIsUpscaledSeparatelyAsGrey) {
  const auto rgb = random_image(3, 20, 24);
  const auto alpha = torch::full({1, 20, 24}, 0.25f);
  alpha.narrow(2, 0, 12).fill_(1.0f);
  Upscaler up(fresh_compact(2), cpu_options(0, 0));
  const auto rgba = up.upscale_rgba(rgb, alpha);
  ASSERT_EQ(rgba.sizes(), (std::vector<int64_t>{4, 40, 48}));
  EXPECT_LE(max_abs(rgba.narrow(0, 0, 3), up.upscale(rgb)), 1e-6);
  const auto grey = up.upscale(alpha.expand({3, 20, 24}).contiguous()).mean(0, true);
  EXPECT_LE(max_abs(rgba.narrow(0, 3, 1), grey), 1e-6);
}

TEST(Upscaler, RejectsWrongChannelsAndBadOptions) {
  Upscaler up(fresh_compact(2), cpu_options(0, 0));
  EXPECT_THROW(up.upscale(torch::rand({1, 8, 8})), pf::InputError);
  auto bad = cpu_options(0, 0, 0);
  EXPECT_THROW(Upscaler(fresh_compact(2), bad), pf::ConfigError);
}

TEST(Device, ParsesNamesAndRefusesMissingGpus) {
  EXPECT_TRUE(resolve_device("cpu").is_cpu());
  EXPECT_THROW(resolve_device("gpu0"), pf::ConfigError);
  EXPECT_THROW(resolve_device("cuda:x"), pf::ConfigError);
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_THROW(parse_precision("fp8"), pf::ConfigError);
  EXPECT_THROW(check_precision(Precision::kFp16, torch::Device(torch::kCPU)), pf::ConfigError);
  if (!torch::cuda::is_available()) {
    EXPECT_TRUE(resolve_device("auto").is_cpu());
    EXPECT_THROW(resolve_device("cuda:0"), pf::InputError);
  }
}

TEST(Device, CudaOverlappedMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU (or a CPU-only LibTorch)";
  PF_REQUIRE_FIXTURE(kCompact);
  // cuDNN may use TF32 for fp32 convolutions on Ampere and later; the 1e-4 bound is for fp32.
  auto& context = at::globalContext();
  const bool tf32 = context.allowTF32CuDNN();
  context.setAllowTF32CuDNN(false);
  const auto image = random_image(3, 96, 128);
  Upscaler cpu(pf::models::load_model(pf::test::fixture(kCompact)), cpu_options(0, 0));
  const auto reference = cpu.upscale(image);
  // 48 px cores with 18 px context: 2 x 3 windows in batches of 4, so a full and a short batch.
  for (const auto precision : {Precision::kFp32, Precision::kFp16}) {
    auto options = cpu_options(48, 18, 4);
    options.device = "cuda:0";
    options.precision = precision;
    Upscaler gpu(pf::models::load_model(pf::test::fixture(kCompact)), options);
    const double err = max_abs(gpu.upscale(image), reference);
    EXPECT_LE(err, precision == Precision::kFp32 ? 1e-4 : 2e-2) << precision_name(precision);
    options.transfers = Transfers::kStraight;
    Upscaler straight(pf::models::load_model(pf::test::fixture(kCompact)), options);
    std::printf("[ measured ] CUDA %s overlapped vs CPU fp32: max abs %.3g (straight: %.3g)\n",
                precision_name(precision), err, max_abs(straight.upscale(image), reference));
  }
  context.setAllowTF32CuDNN(tf32);
}

TEST(Upscaler, RunsRealCuganTiledWithItsAlphaKnob) {
  torch::manual_seed(13);
  LoadedModel m;
  m.spec.arch = "RealCUGAN";
  m.spec.scale = 2;
  m.spec.params = {{"fast", "false"}, {"pro", "false"}};
  m.module = pf::models::build_model(m.spec);
  const auto image = random_image(3, 48, 56);
  torch::Tensor direct;
  {
    torch::NoGradGuard no_grad;
    m.net().eval();
    direct = m.forward(image.unsqueeze(0))[0];
  }
  const auto state = pf::models::module_state(m.net());
  auto copy = [&] {
    LoadedModel c;
    c.spec = m.spec;
    c.module = pf::models::build_model(m.spec);
    pf::models::load_state(c.net(), state, "copy");
    return c;
  };
  Upscaler whole(copy(), cpu_options(0, 0));
  EXPECT_LE(max_abs(whole.upscale(image), direct), 1e-6);
  // Tiled in stages with the SE means pooled over the tiles (cugan_tiles.h): the untiled
  // result, whatever the overlap option says.
  Upscaler tiled(copy(), cpu_options(24, 8, 2));
  EXPECT_LE(max_abs(tiled.upscale(image), direct), 1e-5);
  auto weaker = cpu_options(0, 0);
  weaker.cugan_alpha = 0.5;
  Upscaler half(copy(), weaker);
  EXPECT_GT(max_abs(half.upscale(image), direct), 1e-6) << "alpha reaches the model";
}

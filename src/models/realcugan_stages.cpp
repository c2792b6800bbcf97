#include "models/realcugan_stages.h"

#include <stdexcept>
#include <vector>

namespace pf::models {
namespace {

std::vector<int64_t> all_but_first(const torch::Tensor& t) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < t.dim(); ++d) dims.push_back(d);
  return dims;
}

}  // namespace

torch::Tensor CarriedTensor::get() const {
  if (!low_.defined()) return value_;
  return value_.to(low_.scalar_type()) / 255 * span_ + low_;
}

void CarriedTensor::quantise() {
  if (!value_.defined() || low_.defined()) return;
  const auto dims = all_but_first(value_);
  low_ = value_.amin(dims, /*keepdim=*/true);
  span_ = value_.amax(dims, /*keepdim=*/true) - low_;
  // upcunet_v3.py divides a constant tile by a zero span (NaN bytes, read back as the minimum
  // times zero plus the minimum); dividing by 1 there stores zeros with the same result.
  const auto divisor = torch::where(span_ == 0, torch::ones_like(span_), span_);
  value_ = ((value_ - low_) / divisor * 255).round().to(torch::kUInt8);
}

void CuganTile::quantise() {
  for (auto* t : {&se_input, &unet1_skip, &residual, &unet2_skip1, &unet2_skip2}) t->quantise();
}

CuganTile cugan_stage0(RealCUGANImpl& net, const torch::Tensor& windows) {
  auto [skip, z] = net.unet1->head(net.unet1_input(windows));
  CuganTile tile;
  tile.unet1_skip = skip;
  tile.se_input = z;
  return tile;
}

void cugan_stage(RealCUGANImpl& net, int k, CuganTile& tile, const torch::Tensor& mean) {
  if (k == 1) {
    const auto excited = net.unet1->conv2->excite(tile.se_input.get(), mean);
    const auto u = net.unet1->tail(tile.unet1_skip.get(), excited);
    tile.unet1_skip = {};
    auto [skip1, z] = net.unet2->head(u);
    tile.residual = RealCUGANImpl::residual_of(u);
    tile.unet2_skip1 = skip1;
    tile.se_input = z;
  } else if (k == 2) {
    auto [skip2, z] = net.unet2->down(net.unet2->conv2->excite(tile.se_input.get(), mean));
    tile.unet2_skip2 = skip2;
    tile.se_input = z;
  } else if (k == 3) {
    const auto excited = net.unet2->conv3->excite(tile.se_input.get(), mean);
    tile.se_input = net.unet2->up(tile.unet2_skip2.get(), excited);
    tile.unet2_skip2 = {};
  } else {
    throw std::invalid_argument("Real-CUGAN stage " + std::to_string(k) + " is not 1, 2 or 3");
  }
}

torch::Tensor cugan_output(RealCUGANImpl& net, CuganTile& tile, const torch::Tensor& mean,
                           double alpha) {
  auto x4 = net.unet2->conv4->excite(tile.se_input.get(), mean);
  if (alpha != 1.0) x4 = x4 * alpha;
  auto y = net.combine(net.unet2->tail(tile.unet2_skip1.get(), x4), tile.residual.get());
  tile = {};
  return y;
}

CuganScale cugan_se_scale(const RealCUGANOptions& o, int k) {
  // unet1 runs at the input's resolution (the fast variant at half of it, pixel-unshuffled) and
  // unet2 at unet1's output's: 2x, 3x for x3, 1x for fast. Blocks 0, 1 and 3 sit one stride-2
  // level down in their UNet, block 2 two levels.
  const int64_t unet2_res = o.fast ? 1 : o.scale == 3 ? 3 : 2;
  if (k == 0) return {1, o.fast ? 4 : 2};
  if (k == 1 || k == 3) return {unet2_res, 2};
  if (k == 2) return {unet2_res, 4};
  throw std::invalid_argument("Real-CUGAN has SE blocks 0-3, not " + std::to_string(k));
}

int64_t cugan_kept_bytes_per_pixel(const RealCUGANOptions& o, int64_t element,
                                   int64_t kept_element) {
  // Stage 0 keeps unet1.conv1's 64 channels and block 0's 64 at a quarter of the pixels. From
  // stage 2 on a tile holds the residual, unet2's two skips (64 channels at unet2's resolution,
  // 128 at a quarter) and block 2's input (128 at a sixteenth): the most it ever holds. Both
  // count, since tiles past stage 1 and tiles before it are kept side by side.
  const int64_t unet1_den = o.fast ? 4 : 1;
  const int64_t unet2_res = o.fast ? 1 : o.scale == 3 ? 3 : 2;
  const int64_t residual_ch = (o.fast || o.scale == 4) ? 64 : o.out_ch;
  const int64_t stage0 = 80 / unet1_den;
  const int64_t later = (residual_ch + 64 + 32 + 8) * unet2_res * unet2_res;
  return stage0 * element + later * kept_element;
}

}  // namespace pf::models

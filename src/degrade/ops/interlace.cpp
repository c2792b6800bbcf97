// interlace: weave two fields of a moving picture (the second field from a copy shifted by the
// motion between field times), then deinterlace the way cheap players and capture chains do:
// bob (line doubling), linear interpolation, blend, or none (combing left in).
#include <opencv2/imgproc.hpp>

#include "degrade/op.h"

namespace pf::degrade {

namespace {

struct InterlaceParams {
  double shift_x, shift_y;  // motion between the two fields, pixels (sub-pixel allowed)
  std::string field_order;  // top | bottom: which rows the first field holds
  std::string deinterlace;  // none | bob | linear | blend
};

cv::Mat shifted(const cv::Mat& img, double dx, double dy) {
  if (dx == 0.0 && dy == 0.0) return img.clone();
  const cv::Matx23d move(1, 0, dx, 0, 1, dy);
  cv::Mat out;
  cv::warpAffine(img, out, move, img.size(), cv::INTER_CUBIC, cv::BORDER_REFLECT_101);
  cv::max(out, cv::Scalar::all(0.0), out);  // bicubic overshoot
  cv::min(out, cv::Scalar::all(1.0), out);
  return out;
}

// Rows of parity `first_parity` come from `first`, the others from `second`.
cv::Mat weave(const cv::Mat& first, const cv::Mat& second, int first_parity) {
  cv::Mat out = first.clone();
  for (int y = 1 - first_parity; y < out.rows; y += 2) second.row(y).copyTo(out.row(y));
  return out;
}

// Bob: the first field alone, each of its lines doubled (field line i -> frame rows 2i, 2i+1).
cv::Mat bob(const cv::Mat& frame, int parity) {
  cv::Mat out(frame.size(), frame.type());
  for (int y = 0; y < out.rows; ++y) {
    int source = (y & ~1) | parity;
    if (source >= out.rows) source = y - 1;  // odd height: the last row has no pair of its own
    frame.row(source).copyTo(out.row(y));
  }
  return out;
}

// Linear: the first field kept, each missing line the mean of the field lines above and below.
cv::Mat linear(const cv::Mat& frame, int parity) {
  cv::Mat out = frame.clone();
  for (int y = 1 - parity; y < out.rows; y += 2) {
    const bool above = y - 1 >= 0, below = y + 1 < out.rows;
    if (above && below)
      cv::addWeighted(frame.row(y - 1), 0.5, frame.row(y + 1), 0.5, 0.0, out.row(y));
    else
      frame.row(above ? y - 1 : y + 1).copyTo(out.row(y));
  }
  return out;
}

// Blend: every line averaged with its neighbours ([1 2 1] / 4), which cancels the combing at the
// cost of vertical blur and ghosting.
cv::Mat blend(const cv::Mat& frame) {
  const cv::Matx31f kernel(0.25f, 0.5f, 0.25f);
  cv::Mat out;
  cv::filter2D(frame, out, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
  return out;
}

class Interlace final : public TypedOp<InterlaceParams, Interlace> {
 public:
  static const std::vector<Field<InterlaceParams>>& table() {
    using P = InterlaceParams;
    static const std::vector<Field<P>> t = {
        real<P>("shift_x", &P::shift_x, 2, -16, 16,
                "horizontal motion between the two fields, pixels (sub-pixel allowed)"),
        real<P>("shift_y", &P::shift_y, 0, -16, 16, "vertical motion between the two fields"),
        choice<P>("field_order", &P::field_order, "top", {"top", "bottom"},
                  "which field comes first: top = even rows, bottom = odd rows"),
        choice<P>("deinterlace", &P::deinterlace, "none", {"none", "bob", "linear", "blend"},
                  "none: combing; bob: first field line-doubled; linear: missing lines "
                  "interpolated; blend: lines averaged with their neighbours"),
    };
    return t;
  }

  void run(const InterlaceParams& p, Pair& pair, Rng&) const {
    const int parity = p.field_order == "top" ? 0 : 1;
    const cv::Mat second = shifted(pair.lq, p.shift_x, p.shift_y);
    const cv::Mat frame = weave(pair.lq, second, parity);
    if (p.deinterlace == "bob")
      pair.lq = bob(frame, parity);
    else if (p.deinterlace == "linear")
      pair.lq = linear(frame, parity);
    else if (p.deinterlace == "blend")
      pair.lq = blend(frame);
    else
      pair.lq = frame;
  }
};

}  // namespace

const OpInfo& op_interlace() {
  static const OpInfo info = lq_only(make_op_info<Interlace>(
      "interlace",
      "weave two fields with motion between them, then deinterlace (combing, jaggies)"));
  return info;
}

}  // namespace pf::degrade

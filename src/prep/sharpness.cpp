// Sharpness: the variance of the Laplacian of the luma (Pech-Pacheco et al. 2000), the usual
// focus measure. Blur removes the high frequencies the Laplacian sees, so it falls steadily with
// the blur's radius.
#include <opencv2/imgproc.hpp>

#include "prep/measure.h"

namespace pf::prep {

double laplacian_sharpness(const Planes& p) {
  if (p.luma.rows < 3 || p.luma.cols < 3) return 0;
  cv::Mat lap;
  cv::Laplacian(p.luma, lap, CV_16S, 1, 1, 0, cv::BORDER_REPLICATE);
  cv::Scalar mean, dev;
  cv::meanStdDev(lap, mean, dev);
  return dev[0] * dev[0];
}

}  // namespace pf::prep

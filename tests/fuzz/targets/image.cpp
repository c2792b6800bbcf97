// Image decoding through the io layer (PNG, JPEG, WebP, TIFF, BMP; 8/16-bit; alpha), as every
// input folder is read, and the header-only size reader the training data check uses. A decoded
// image must encode back to PNG and decode to the same size.
#include "io/image.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_target.h"
#include "io/image_size.h"

PF_FUZZ_TARGET(image) {
  // A 16-megapixel limit instead of the product's 179: a few bytes of lossless WebP can be a
  // valid flat image of the full size, whose legitimate 2 GB decode libFuzzer would count as an
  // over-large allocation. The limit's logic is the same at any value.
  static const bool limited = [] {
    return ::setenv("PAIRFORGE_MAX_IMAGE_PIXELS", "16777216", 1) == 0;
  }();
  (void)limited;
  const std::vector<uint8_t> bytes(data, data + size);
  // read_image_size reads a file: one per process, in memory-backed /dev/shm when there is one.
  static const std::string path =
      (access("/dev/shm", W_OK) == 0 ? std::string("/dev/shm") : std::string("/tmp")) +
      "/pf_fuzz_image_" + std::to_string(getpid());
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const auto header_size = pf::io::read_image_size(path);
  pf::io::Image img;
  try {
    img = pf::io::decode_image(bytes, "fuzz.img");
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
    return 0;
  }
  PF_FUZZ_ASSERT(img.rgb.type() == CV_32FC3 && !img.rgb.empty());
  PF_FUZZ_ASSERT(img.alpha.empty() || img.alpha.size() == img.rgb.size());
  if (header_size) {
    PF_FUZZ_ASSERT(header_size->width == img.rgb.cols);
    PF_FUZZ_ASSERT(header_size->height == img.rgb.rows);
  }
  if (img.rgb.total() <= 256 * 256) {
    const int depth = img.bit_depth == 16 ? 16 : 8;
    const pf::io::Image back =
        pf::io::decode_image(pf::io::encode_png(img.rgb, img.alpha, depth), "round-trip.png");
    PF_FUZZ_ASSERT(back.rgb.size() == img.rgb.size() && back.alpha.empty() == img.alpha.empty());
  }
  pf::fuzz::accepted();
  return 0;
}

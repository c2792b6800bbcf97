// The fast deflate encoder: every stream inflates back to its input with zlib (strict about code
// completeness and the Adler-32) and libdeflate, across block boundaries and the edge cases of
// Huffman code building (empty input, one symbol, all 256 symbols, incompressible data).
#include "io/fast_deflate.h"

#include <gtest/gtest.h>
#include <libdeflate.h>
#include <zlib.h>

#include <vector>

#include "core/rng.h"

namespace pf::io {
namespace {

void expect_round_trip(const std::vector<uint8_t>& data, int pixel_bytes, size_t row_bytes,
                       const char* what) {
  std::vector<uint8_t> packed;
  fast_zlib_compress(data.data(), data.size(), pixel_bytes, row_bytes, packed);
  std::vector<uint8_t> back(data.size() + 1);
  uLongf back_size = back.size();
  ASSERT_EQ(uncompress(back.data(), &back_size, packed.data(), packed.size()), Z_OK) << what;
  ASSERT_EQ(back_size, data.size()) << what;
  EXPECT_TRUE(std::equal(data.begin(), data.end(), back.begin())) << what;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  size_t out = 0;
  EXPECT_EQ(
      libdeflate_zlib_decompress(d, packed.data(), packed.size(), back.data(), back.size(), &out),
      LIBDEFLATE_SUCCESS)
      << what;
  EXPECT_EQ(out, data.size()) << what;
  libdeflate_free_decompressor(d);
}

TEST(FastDeflate, EdgeCasesInflateBack) {
  expect_round_trip({}, 3, 10, "empty");
  expect_round_trip({42}, 3, 10, "one byte");
  expect_round_trip(std::vector<uint8_t>(100000, 7), 3, 301, "one value");
  std::vector<uint8_t> all(256 * 40);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 7);
  expect_round_trip(all, 4, 1000, "every byte value, repeating at 256");
  Rng rng(3);
  std::vector<uint8_t> noise(700000);  // past two block boundaries, nothing to match
  for (auto& b : noise) b = static_cast<uint8_t>(rng.next_u64());
  expect_round_trip(noise, 3, 5761, "random");
}

// Image-like rows: flat runs (matches one pixel back), repeated rows (one row back), texture,
// over 1 MB so several blocks with their own tables follow each other.
TEST(FastDeflate, ImageRowsCompressAndInflateBack) {
  const size_t width = 641, row = width * 3 + 1;
  std::vector<uint8_t> rows;
  Rng rng(5);
  for (int y = 0; y < 600; ++y) {
    std::vector<uint8_t> r(row, 0);
    r[0] = 1;  // filter byte
    for (size_t x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        r[1 + 3 * x + c] = x < 200 ? static_cast<uint8_t>(40 + c)
                           : y % 3 ? static_cast<uint8_t>((x * c + y / 3) & 0xff)
                                   : static_cast<uint8_t>(rng.next_u64() % 6);
    rows.insert(rows.end(), r.begin(), r.end());
  }
  expect_round_trip(rows, 3, row, "image rows");
  std::vector<uint8_t> packed;
  fast_zlib_compress(rows.data(), rows.size(), 3, row, packed);
  // Raw: a third flat, a third repeated, a third of 6-valued noise (2.6 bits a byte) and a third
  // of ramps with no repeats at either distance: about 0.36 of the input when the flat pixels and
  // the repeated rows are matched.
  EXPECT_LT(packed.size(), rows.size() * 0.38);
}

}  // namespace
}  // namespace pf::io

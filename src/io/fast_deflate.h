// A deflate encoder for filtered image rows, several times faster than libdeflate's fastest
// level at files about as small: it looks for matches only where images repeat themselves — the
// previous pixel (runs in flat areas, which the Sub filter turns into runs of zeros) and the pixel
// above (repeated rows) — and codes each block of the stream with its own Huffman tables. The
// idea is fpng's (Rich Geldreich); the code is ours. Any inflate reads the output.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pf::io {

// Appends a zlib stream (RFC 1950 header, deflate blocks, Adler-32) of data[0, n) to `out`.
// `pixel_bytes` and `row_bytes` are the match distances tried: the sample size of one pixel and
// the length of one stored row (the filter byte included).
void fast_zlib_compress(const uint8_t* data, size_t n, int pixel_bytes, size_t row_bytes,
                        std::vector<uint8_t>& out);

}  // namespace pf::io

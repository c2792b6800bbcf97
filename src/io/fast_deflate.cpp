#include "io/fast_deflate.h"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pf::io {
namespace {

constexpr int kMinMatch = 4;  // shorter matches rarely beat two or three literals' codes
constexpr int kMaxMatch = 258;
constexpr size_t kBlockInput = 1 << 18;  // input bytes per block: each gets its own tables
constexpr int kLitLenSymbols = 286, kDistSymbols = 30, kCodeLenSymbols = 19;

// RFC 1951 section 3.2.5: the base length / distance of each symbol and its extra bits.
constexpr uint16_t kLengthBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint32_t kDistBase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr uint8_t kCodeLenOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                       11, 4,  12, 3, 13, 2, 14, 1, 15};

struct LengthTable {
  std::array<uint8_t, kMaxMatch + 1> symbol{};  // length -> symbol - 257
  LengthTable() {
    for (int s = 0; s < 29; ++s)
      for (int len = kLengthBase[s]; len < (s == 28 ? 259 : kLengthBase[s + 1]); ++len)
        symbol[len] = static_cast<uint8_t>(s);
  }
};
const LengthTable kLengths;

int dist_symbol(uint32_t d) {
  int s = 0;
  while (s + 1 < kDistSymbols && kDistBase[s + 1] <= d) ++s;
  return s;
}

// Little-endian bit writer into a buffer sized beforehand (deflate packs bits LSB first), with
// 8 bytes to spare at its end. Branch-free: every put stores the whole accumulator and moves on
// by the bytes completed, so the irregular rhythm of variable-length codes costs no
// mispredicted branches (a third of the deflate's time on an AMD Zen 2 with the flush branch).
class BitWriter {
 public:
  explicit BitWriter(uint8_t* p) : p_(p) {}
  void put(uint64_t bits, int count) {  // count <= 56
    acc_ |= bits << filled_;
    filled_ += count;
    std::memcpy(p_, &acc_, 8);  // little-endian machines only (x86, ARM)
    const int bytes = filled_ >> 3;
    p_ += bytes;
    acc_ >>= bytes * 8;  // at most 56 (filled_ < 8 + 56)
    filled_ &= 7;
  }
  uint8_t* flush() {  // to a byte boundary; returns the end
    if (filled_ > 0) *p_++ = static_cast<uint8_t>(acc_);
    acc_ = 0, filled_ = 0;
    return p_;
  }

 private:
  uint8_t* p_;
  uint64_t acc_ = 0;
  int filled_ = 0;
};

// Code lengths of at most `limit` bits for the given counts (0 for unused symbols): Huffman's
// lengths, then, when some exceed the limit, the longest codes shortened and the Kraft sum
// restored by lengthening the codes of the rarest symbols (miniz's approach).
std::vector<uint8_t> code_lengths(const uint32_t* counts, int symbols, int limit) {
  std::vector<uint8_t> lengths(symbols, 0);
  std::vector<int> used;
  for (int s = 0; s < symbols; ++s)
    if (counts[s] > 0) used.push_back(s);
  if (used.empty()) return lengths;
  if (used.size() == 1) {  // one code of one bit (a decoder needs at least that)
    lengths[used[0]] = 1;
    return lengths;
  }
  // Huffman's algorithm on (count, node) with parent links; leaves first.
  const int leaves = static_cast<int>(used.size());
  std::vector<uint64_t> weight(2 * leaves);
  std::vector<int> parent(2 * leaves, -1);
  std::vector<int> order(leaves);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return counts[used[a]] != counts[used[b]] ? counts[used[a]] < counts[used[b]] : a < b;
  });
  for (int i = 0; i < leaves; ++i) weight[i] = counts[used[order[i]]];
  // Two queues: sorted leaves and internal nodes made in non-decreasing weight order.
  int next_leaf = 0, next_node = leaves, made = leaves;
  auto pop = [&]() {
    if (next_leaf < leaves && (next_node >= made || weight[next_leaf] <= weight[next_node]))
      return next_leaf++;
    return next_node++;
  };
  while (made < 2 * leaves - 1) {
    const int a = pop(), b = pop();
    weight[made] = weight[a] + weight[b];
    parent[a] = parent[b] = made;
    ++made;
  }
  std::vector<int> depth(2 * leaves - 1, 0);
  for (int i = 2 * leaves - 3; i >= 0; --i) depth[i] = depth[parent[i]] + 1;
  std::vector<int> per_length(std::max(limit, leaves) + 1, 0);
  int longest = 0;
  for (int i = 0; i < leaves; ++i) ++per_length[depth[i]], longest = std::max(longest, depth[i]);
  if (longest > limit) {
    for (int len = limit + 1; len <= longest; ++len)
      per_length[limit] += per_length[len], per_length[len] = 0;
    uint64_t kraft = 0;
    for (int len = 1; len <= limit; ++len)
      kraft += static_cast<uint64_t>(per_length[len]) << (limit - len);
    while (kraft > (uint64_t{1} << limit)) {
      --per_length[limit];
      for (int len = limit - 1; len > 0; --len)
        if (per_length[len] > 0) {
          --per_length[len];
          per_length[len + 1] += 2;
          break;
        }
      --kraft;
    }
  }
  // Shortest lengths to the most frequent symbols (order[] runs from rarest to most frequent).
  int leaf = leaves - 1;
  for (int len = 1; len <= limit; ++len)
    for (int k = 0; k < per_length[len]; ++k)
      lengths[used[order[leaf--]]] = static_cast<uint8_t>(len);
  return lengths;
}

// Canonical codes (RFC 1951 3.2.2), bit-reversed for the LSB-first writer.
std::vector<uint16_t> canonical_codes(const std::vector<uint8_t>& lengths) {
  int per_length[16] = {0};
  for (uint8_t l : lengths) ++per_length[l];
  per_length[0] = 0;
  int next[16] = {0};
  for (int len = 1, code = 0; len < 16; ++len)
    code = (code + per_length[len - 1]) << 1, next[len] = code;
  std::vector<uint16_t> codes(lengths.size(), 0);
  for (size_t s = 0; s < lengths.size(); ++s) {
    const int len = lengths[s];
    if (len == 0) continue;
    uint32_t c = static_cast<uint32_t>(next[len]++), r = 0;
    for (int i = 0; i < len; ++i) r = (r << 1) | (c & 1), c >>= 1;
    codes[s] = static_cast<uint16_t>(r);
  }
  return codes;
}

// One token: a run of `length` literal bytes (dist == 0), read from the input when the block is
// written, or a match of `length` bytes `dist` back.
struct Token {
  uint16_t length;
  uint16_t dist;
};

size_t match_length(const uint8_t* a, const uint8_t* b, size_t limit) {
  size_t n = 0;
  while (n + 8 <= limit) {
    uint64_t x, y;
    std::memcpy(&x, a + n, 8);
    std::memcpy(&y, b + n, 8);
    if (x != y) return n + static_cast<size_t>(__builtin_ctzll(x ^ y) >> 3);
    n += 8;
  }
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// 0x80 in each byte of the result where x has four zero bytes starting there (bytes 0-4).
uint64_t four_zero_bytes(uint64_t x) {
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  const uint64_t z = ~(((x & kLow7) + kLow7) | x | kLow7);  // 0x80 where a byte is zero
  return z & (z >> 8) & (z >> 16) & (z >> 24);
}

#if defined(__SSE2__)
// Bit j set where the 4 bytes from data[j] equal those `d` bytes before, for j in [0, 29): 32
// bytes compared at once (x86-64 always has SSE2).
uint32_t repeats_32(const uint8_t* data, size_t d) {
  const auto equal = [&](int at) {
    const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
    const __m128i there = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at - d));
    return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(here, there)));
  };
  const uint32_t e = equal(0) | equal(16) << 16;
  return e & e >> 1 & e >> 2 & e >> 3 & 0x1fffffffu;
}
#endif

void write_block(const uint8_t* data, const Token* tokens, size_t count, const uint32_t* lit_counts,
                 const uint32_t* dist_counts, bool last, BitWriter& bits) {
  std::vector<uint8_t> lit_len = code_lengths(lit_counts, kLitLenSymbols, 15);
  std::vector<uint8_t> dist_len = code_lengths(dist_counts, kDistSymbols, 15);
  if (std::all_of(dist_len.begin(), dist_len.end(), [](uint8_t l) { return l == 0; }))
    dist_len[0] = 1;  // a block without matches still declares one distance code
  int hlit = kLitLenSymbols, hdist = kDistSymbols;
  while (hlit > 257 && lit_len[hlit - 1] == 0) --hlit;
  while (hdist > 1 && dist_len[hdist - 1] == 0) --hdist;
  // The two length lists, run-length coded with symbols 16 (repeat previous), 17 and 18 (zeros).
  std::vector<uint8_t> all(lit_len.begin(), lit_len.begin() + hlit);
  all.insert(all.end(), dist_len.begin(), dist_len.begin() + hdist);
  std::vector<std::pair<uint8_t, uint8_t>> rle;  // (symbol, extra value)
  for (size_t i = 0; i < all.size();) {
    size_t run = 1;
    while (i + run < all.size() && all[i + run] == all[i]) ++run;
    if (all[i] == 0 && run >= 3) {
      const size_t r = std::min<size_t>(run, 138);
      rle.push_back(r >= 11 ? std::pair<uint8_t, uint8_t>{18, static_cast<uint8_t>(r - 11)}
                            : std::pair<uint8_t, uint8_t>{17, static_cast<uint8_t>(r - 3)});
      i += r;
    } else if (all[i] != 0 && run >= 4) {
      rle.push_back({all[i], 0});
      const size_t r = std::min<size_t>(run - 1, 6);
      rle.push_back({16, static_cast<uint8_t>(r - 3)});
      i += 1 + r;
    } else {
      rle.push_back({all[i], 0});
      ++i;
    }
  }
  uint32_t cl_counts[kCodeLenSymbols] = {0};
  for (const auto& [sym, extra] : rle) ++cl_counts[sym];
  // The code-length code must be complete (zlib refuses a single one-bit code there).
  if (std::count_if(cl_counts, cl_counts + kCodeLenSymbols, [](uint32_t c) { return c > 0; }) < 2)
    ++cl_counts[cl_counts[0] > 0 ? 1 : 0];
  const std::vector<uint8_t> cl_len = code_lengths(cl_counts, kCodeLenSymbols, 7);
  const std::vector<uint16_t> cl_code = canonical_codes(cl_len);
  int hclen = kCodeLenSymbols;
  while (hclen > 4 && cl_len[kCodeLenOrder[hclen - 1]] == 0) --hclen;

  bits.put(last ? 1 : 0, 1);
  bits.put(2, 2);  // dynamic Huffman codes
  bits.put(static_cast<uint32_t>(hlit - 257), 5);
  bits.put(static_cast<uint32_t>(hdist - 1), 5);
  bits.put(static_cast<uint32_t>(hclen - 4), 4);
  for (int i = 0; i < hclen; ++i) bits.put(cl_len[kCodeLenOrder[i]], 3);
  for (const auto& [sym, extra] : rle) {
    bits.put(cl_code[sym], cl_len[sym]);
    if (sym == 16) bits.put(extra, 2);
    if (sym == 17) bits.put(extra, 3);
    if (sym == 18) bits.put(extra, 7);
  }
  const std::vector<uint16_t> lit_code = canonical_codes(lit_len);
  const std::vector<uint16_t> dist_code = canonical_codes(dist_len);
  // A literal's code and length in one word (code | length << 16); three or four literals go out
  // in one put.
  uint32_t literal[256];
  for (int b = 0; b < 256; ++b) literal[b] = lit_code[b] | static_cast<uint32_t>(lit_len[b]) << 16;
  // Four literals fit one put when no literal code is longer than 14 bits (most blocks).
  const bool four_per_put = *std::max_element(lit_len.begin(), lit_len.begin() + 256) <= 14;
  uint16_t last_dist = 0;
  int ds = 0;
  for (size_t i = 0; i < count; ++i) {
    const Token& t = tokens[i];
    if (t.dist == 0) {
      const uint8_t* end = data + t.length;
      if (four_per_put)
        for (; data + 4 <= end; data += 4) {  // four codes of at most 14 bits: 56 bits a put
          const uint32_t a = literal[data[0]], b = literal[data[1]];
          const uint32_t c = literal[data[2]], e = literal[data[3]];
          const uint32_t ab = (a >> 16) + (b >> 16), abc = ab + (c >> 16);
          bits.put((a & 0xFFFF) | static_cast<uint64_t>(b & 0xFFFF) << (a >> 16) |
                       static_cast<uint64_t>(c & 0xFFFF) << ab |
                       static_cast<uint64_t>(e & 0xFFFF) << abc,
                   static_cast<int>(abc + (e >> 16)));
        }
      for (; data + 3 <= end; data += 3) {  // three codes of at most 15 bits: 45 bits a put
        const uint32_t a = literal[data[0]], b = literal[data[1]], c = literal[data[2]];
        const uint32_t ab = (a >> 16) + (b >> 16);
        bits.put((a & 0xFFFF) | static_cast<uint64_t>(b & 0xFFFF) << (a >> 16) |
                     static_cast<uint64_t>(c & 0xFFFF) << ab,
                 static_cast<int>(ab + (c >> 16)));
      }
      for (; data < end; ++data)
        bits.put(literal[*data] & 0xFFFF, static_cast<int>(literal[*data] >> 16));
      continue;
    }
    data += t.length;
    const int ls = kLengths.symbol[t.length];
    bits.put(lit_code[257 + ls], lit_len[257 + ls]);
    bits.put(t.length - kLengthBase[ls], kLengthExtra[ls]);
    if (t.dist != last_dist) last_dist = t.dist, ds = dist_symbol(t.dist);  // two distances only
    bits.put(dist_code[ds], dist_len[ds]);
    bits.put(t.dist - kDistBase[ds], kDistExtra[ds]);
  }
  bits.put(lit_code[256], lit_len[256]);  // end of block
}

}  // namespace

void fast_zlib_compress(const uint8_t* data, size_t n, int pixel_bytes, size_t row_bytes,
                        std::vector<uint8_t>& out) {
  // Worst case: every byte a 9-bit literal, plus block headers (< 200 bytes each) and framing.
  const size_t start = out.size();
  out.resize(start + n + n / 8 + (n / kBlockInput + 1) * 256 + 16);
  uint8_t* p = out.data() + start;
  *p++ = 0x78, *p++ = 0x01;  // deflate, 32 KiB window, fastest-level flag
  BitWriter bits(p);
  // Distances tried, nearest first; deflate reaches back 32768 bytes at most.
  uint32_t distances[2];
  int dist_syms[2], tried = 0;
  for (size_t d : {static_cast<size_t>(pixel_bytes), row_bytes})
    if (d >= 1 && d <= 32768 && (tried == 0 || distances[0] != d))
      distances[tried] = static_cast<uint32_t>(d),
      dist_syms[tried] = dist_symbol(static_cast<uint32_t>(d)), ++tried;
  std::vector<Token> tokens(kBlockInput + 8);
  size_t pos = 0;
  do {
    const size_t end = std::min(n, pos + kBlockInput);
    uint32_t lit_counts[kLitLenSymbols] = {0}, dist_counts[kDistSymbols] = {0};
    lit_counts[256] = 1;
    size_t count = 0;
    const uint32_t farthest = tried > 0 ? std::max(distances[0], distances[tried - 1]) : 0;
    const size_t block_start = pos;
    // Literal counts in four tables, byte j in table j % 4, added up before the block is written:
    // a run of equal bytes (frequent in filtered rows) would otherwise wait on its own counter.
    uint32_t counts4[4][256] = {};
    // Literals extend the last token while it is a run with room for them.
    auto literals = [&](int k) {
      int j = 0;
      for (; j + 4 <= k; j += 4)
        ++counts4[0][data[pos + j]], ++counts4[1][data[pos + j + 1]],
            ++counts4[2][data[pos + j + 2]], ++counts4[3][data[pos + j + 3]];
      for (; j < k; ++j) ++counts4[j & 3][data[pos + j]];
      if (count > 0 && tokens[count - 1].dist == 0 && tokens[count - 1].length <= 65535 - k)
        tokens[count - 1].length = static_cast<uint16_t>(tokens[count - 1].length + k);
      else
        tokens[count++] = {static_cast<uint16_t>(k), 0};
    };
    while (pos < end) {
#if defined(__SSE2__)
      // 25 positions at once where the steps of five below would take five steps: the same first
      // repeat, and the same stop at the block's end (the first step past it), so the same bytes.
      if (tried > 0 && pos >= farthest && pos + 32 <= n) {
        const size_t stop = 5 * ((end - pos + 4) / 5);  // where the steps of five would stop
        const size_t reach = std::min<size_t>(25, stop);
        uint32_t repeats = 0;
        for (int k = 0; k < tried; ++k) repeats |= repeats_32(data + pos, distances[k]);
        repeats &= (1u << reach) - 1;
        const int skip = repeats == 0 ? static_cast<int>(reach) : __builtin_ctz(repeats);
        if (skip > 0) literals(skip);
        pos += skip;
        if (repeats == 0) continue;
      } else
#endif
        // Literals in steps of up to five: eight bytes against each distance at once show the
        // first position where four bytes repeat (a match can start only there).
        if (tried > 0 && pos >= farthest && pos + 8 <= n && count + 5 <= tokens.size()) {
          uint64_t here, repeats = 0;
          std::memcpy(&here, data + pos, 8);
          for (int k = 0; k < tried; ++k) {
            uint64_t there;
            std::memcpy(&there, data + pos - distances[k], 8);
            repeats |= four_zero_bytes(here ^ there);  // little-endian: byte j is bits 8j..8j+7
          }
          const int skip = repeats == 0 ? 5 : __builtin_ctzll(repeats) >> 3;
          if (skip > 0) literals(skip);
          pos += skip;
          if (repeats == 0) continue;
        }
      if (pos >= end) break;
      size_t best = 0;
      int best_k = 0;
      if (n - pos >= kMinMatch) {
        uint32_t here;
        std::memcpy(&here, data + pos, 4);
        for (int k = 0; k < tried; ++k) {
          const uint32_t d = distances[k];
          if (d > pos) break;
          uint32_t there;
          std::memcpy(&there, data + pos - d, 4);
          if (here != there) continue;
          const size_t len =
              match_length(data + pos, data + pos - d, std::min<size_t>(kMaxMatch, n - pos));
          if (len > best) best = len, best_k = k;
        }
      }
      if (best >= kMinMatch) {
        tokens[count++] = {static_cast<uint16_t>(best), static_cast<uint16_t>(distances[best_k])};
        ++lit_counts[257 + kLengths.symbol[best]];
        ++dist_counts[dist_syms[best_k]];
        pos += best;
      } else {
        literals(1);
        ++pos;
      }
    }
    for (int b = 0; b < 256; ++b)
      lit_counts[b] += counts4[0][b] + counts4[1][b] + counts4[2][b] + counts4[3][b];
    write_block(data + block_start, tokens.data(), count, lit_counts, dist_counts, pos >= n, bits);
  } while (pos < n);
  p = bits.flush();
  const uint32_t adler = libdeflate_adler32(1, data, n);
  *p++ = static_cast<uint8_t>(adler >> 24), *p++ = static_cast<uint8_t>(adler >> 16);
  *p++ = static_cast<uint8_t>(adler >> 8), *p++ = static_cast<uint8_t>(adler);
  out.resize(static_cast<size_t>(p - out.data()));
}

}  // namespace pf::io

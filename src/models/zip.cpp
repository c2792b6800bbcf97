#include "models/zip.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/input_file.h"

namespace pf::models {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndRecordSize = 22;
// torch.save aligns every entry's data to 64 bytes (so it can be mmapped); we do the same.
constexpr size_t kDataAlignment = 64;
// Refuse to inflate an entry claiming more than this: protects against zip bombs.
constexpr uint64_t kMaxEntrySize = uint64_t{8} << 30;
// Files read whole: zip archives stop at 4 GiB (no zip64); safetensors files get the same room.
constexpr uint64_t kMaxFileSize = uint64_t{16} << 30;

uint16_t get16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}
uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(get16(b, at)) | (static_cast<uint32_t>(get16(b, at + 2)) << 16);
}
void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(v & 0xff);
  b.push_back(v >> 8);
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, v & 0xffff);
  put16(b, v >> 16);
}

uint32_t crc_of(const uint8_t* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, uint64_t expected,
                                 const std::string& what) {
  std::vector<uint8_t> out(expected);
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw ModelError(what + ": zlib init failed");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(expected);
  const int rc = inflate(&zs, Z_FINISH);
  const uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != expected)
    throw ModelError(what + ": corrupt DEFLATE data (zlib code " + std::to_string(rc) + ", " +
                     std::to_string(produced) + " of " + std::to_string(expected) + " bytes)");
  return out;
}

}  // namespace

bool looks_like_zip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && get32(bytes, 0) == kLocalSig;
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  // A FIFO or /dev/zero named as a model would block or read forever; a model past the zip
  // limit cannot be one of ours.
  require_regular_file(path, "model file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError("cannot open '" + path + "'");
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  if (size > kMaxFileSize)
    throw InputError("model file '" + path + "' is " + std::to_string(size) +
                     " bytes, more than the " + std::to_string(kMaxFileSize) + " allowed");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    throw InputError("cannot read '" + path + "'");
  return bytes;
}

void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes);
}

ZipReader::ZipReader(std::vector<uint8_t> bytes, std::string label)
    : bytes_(std::move(bytes)), label_(std::move(label)) {
  parse_central_directory();
}

ZipReader ZipReader::open(const std::string& path) {
  return ZipReader(read_file_bytes(path), path);
}

void ZipReader::parse_central_directory() {
  const auto& b = bytes_;
  if (b.size() < kEndRecordSize) throw ModelError(label_ + ": too small to be a zip archive");
  // The end record sits in the last 22 + 65535 (comment) bytes; search backwards.
  size_t end = std::string::npos;
  const size_t lowest = b.size() > kEndRecordSize + 0xffff ? b.size() - kEndRecordSize - 0xffff : 0;
  for (size_t at = b.size() - kEndRecordSize + 1; at-- > lowest;)
    if (get32(b, at) == kEndSig) {
      end = at;
      break;
    }
  if (end == std::string::npos)
    throw ModelError(label_ + ": no zip end-of-central-directory record (truncated file?)");
  const uint16_t count = get16(b, end + 10);
  const uint32_t dir_size = get32(b, end + 12);
  const uint32_t dir_offset = get32(b, end + 16);
  if (count == 0xffff || dir_offset == 0xffffffff)
    throw ModelError(label_ + ": zip64 archives (over 4 GiB) are not supported");
  if (uint64_t{dir_offset} + dir_size > end)
    throw ModelError(label_ + ": central directory lies outside the file (truncated?)");

  size_t at = dir_offset;
  for (uint16_t i = 0; i < count; ++i) {
    if (at + kCentralHeaderSize > end || get32(b, at) != kCentralSig)
      throw ModelError(label_ + ": bad central directory entry " + std::to_string(i));
    ZipEntry e;
    e.method = get16(b, at + 10);
    e.crc32 = get32(b, at + 16);
    e.compressed_size = get32(b, at + 20);
    e.size = get32(b, at + 24);
    const size_t name_len = get16(b, at + 28);
    const size_t extra_len = get16(b, at + 30);
    const size_t comment_len = get16(b, at + 32);
    e.local_header_offset = get32(b, at + 42);
    if (at + kCentralHeaderSize + name_len + extra_len + comment_len > end)
      throw ModelError(label_ + ": central directory entry " + std::to_string(i) + " overruns");
    e.name.assign(reinterpret_cast<const char*>(&b[at + kCentralHeaderSize]), name_len);
    at += kCentralHeaderSize + name_len + extra_len + comment_len;
    entries_.push_back(std::move(e));
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<uint8_t> ZipReader::read(const ZipEntry& e) const {
  const std::string what = label_ + ": entry '" + e.name + "'";
  const auto& b = bytes_;
  const uint64_t h = e.local_header_offset;
  if (h + kLocalHeaderSize > b.size() || get32(b, h) != kLocalSig)
    throw ModelError(what + ": local header outside the file or corrupt");
  const uint64_t data_at = h + kLocalHeaderSize + get16(b, h + 26) + get16(b, h + 28);
  if (data_at > b.size() || e.compressed_size > b.size() - data_at)
    throw ModelError(what + ": data runs past the end of the file (truncated?)");
  // DEFLATE cannot expand more than ~1032:1; a larger claim is a zip bomb or corruption.
  if (e.size > kMaxEntrySize || (e.method == 8 && e.size > e.compressed_size * 1040 + 1024))
    throw ModelError(what + ": claims an implausible size");
  std::vector<uint8_t> out;
  if (e.method == 0) {
    if (e.size != e.compressed_size) throw ModelError(what + ": stored sizes disagree");
    out.assign(b.begin() + static_cast<ptrdiff_t>(data_at),
               b.begin() + static_cast<ptrdiff_t>(data_at + e.size));
  } else if (e.method == 8) {
    out = inflate_raw(&b[data_at], e.compressed_size, e.size, what);
  } else {
    throw ModelError(what + ": unsupported zip compression method " + std::to_string(e.method));
  }
  if (crc_of(out.data(), out.size()) != e.crc32) throw ModelError(what + ": CRC mismatch");
  return out;
}

void ZipWriter::add(const std::string& name, const std::vector<uint8_t>& data) {
  if (data.size() >= 0xffffffffu || out_.size() >= 0xffffffffu)
    throw IoError("zip entry '" + name + "': archives over 4 GiB are not supported");
  ZipEntry e;
  e.name = name;
  e.crc32 = crc_of(data.data(), data.size());
  e.size = e.compressed_size = data.size();
  e.local_header_offset = out_.size();
  // Pad with an extra field so the data starts on a 64-byte boundary.
  const size_t unpadded = out_.size() + kLocalHeaderSize + name.size();
  size_t extra = (kDataAlignment - unpadded % kDataAlignment) % kDataAlignment;
  if (extra != 0 && extra < 4) extra += kDataAlignment;  // an extra field needs 4 header bytes

  put32(out_, kLocalSig);
  put16(out_, 20);  // version needed
  put16(out_, 0);   // flags
  put16(out_, 0);   // stored
  put16(out_, 0);   // time
  put16(out_, 0);   // date
  put32(out_, e.crc32);
  put32(out_, static_cast<uint32_t>(e.size));
  put32(out_, static_cast<uint32_t>(e.size));
  put16(out_, static_cast<uint16_t>(name.size()));
  put16(out_, static_cast<uint16_t>(extra));
  out_.insert(out_.end(), name.begin(), name.end());
  if (extra) {
    put16(out_, 0x4246);  // "FB", the id torch.save uses for its padding field
    put16(out_, static_cast<uint16_t>(extra - 4));
    out_.insert(out_.end(), extra - 4, 'Z');
  }
  out_.insert(out_.end(), data.begin(), data.end());
  entries_.push_back(std::move(e));
}

std::vector<uint8_t> ZipWriter::finish() {
  const size_t dir_offset = out_.size();
  for (const auto& e : entries_) {
    put32(out_, kCentralSig);
    put16(out_, 20);  // version made by
    put16(out_, 20);  // version needed
    put16(out_, 0);
    put16(out_, 0);
    put16(out_, 0);
    put16(out_, 0);
    put32(out_, e.crc32);
    put32(out_, static_cast<uint32_t>(e.size));
    put32(out_, static_cast<uint32_t>(e.size));
    put16(out_, static_cast<uint16_t>(e.name.size()));
    put16(out_, 0);  // extra
    put16(out_, 0);  // comment
    put16(out_, 0);  // disk
    put16(out_, 0);  // internal attributes
    put32(out_, 0);  // external attributes
    put32(out_, static_cast<uint32_t>(e.local_header_offset));
    out_.insert(out_.end(), e.name.begin(), e.name.end());
  }
  const size_t dir_size = out_.size() - dir_offset;
  put32(out_, kEndSig);
  put16(out_, 0);
  put16(out_, 0);
  put16(out_, static_cast<uint16_t>(entries_.size()));
  put16(out_, static_cast<uint16_t>(entries_.size()));
  put32(out_, static_cast<uint32_t>(dir_size));
  put32(out_, static_cast<uint32_t>(dir_offset));
  put16(out_, 0);
  return std::move(out_);
}

}  // namespace pf::models

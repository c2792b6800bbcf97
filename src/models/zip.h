// Just enough of the zip format for PyTorch checkpoints: reading STORED and DEFLATE entries
// (with bounds and CRC checks) and writing STORED entries aligned the way torch.save does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pf::models {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  // `label` names the file in error messages. Throws ModelError if the central directory is
  // missing or any entry points outside the buffer.
  ZipReader(std::vector<uint8_t> bytes, std::string label);
  static ZipReader open(const std::string& path);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // Decompressed contents, CRC-checked.
  std::vector<uint8_t> read(const ZipEntry& entry) const;
  const std::string& label() const { return label_; }

 private:
  void parse_central_directory();
  std::vector<uint8_t> bytes_;
  std::string label_;
  std::vector<ZipEntry> entries_;
};

class ZipWriter {
 public:
  void add(const std::string& name, const std::vector<uint8_t>& data);
  // The finished archive (central directory appended).
  std::vector<uint8_t> finish();

 private:
  std::vector<uint8_t> out_;
  std::vector<ZipEntry> entries_;
};

// True when the bytes start like a zip archive ("PK\3\4").
bool looks_like_zip(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_file_bytes(const std::string& path);
// Atomic (temp file + rename), so a killed writer never leaves half a checkpoint.
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace pf::models

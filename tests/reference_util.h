// Independent references for the LibTorch tests: Debian's Python with torch (the reference
// forwards under bench/python), and the .npy files they write.
#pragma once
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "models/zip.h"

namespace pf::test {

// Debian's Python when it has torch and numpy, else "" (the caller skips and says why).
inline std::string python_with_torch() {
  const std::string python = "/usr/bin/python3";
  if (!std::filesystem::exists(python) ||
      std::system((python + " -c 'import torch, numpy' 2>/dev/null").c_str()) != 0)
    return "";
  return python;
}

inline const char* const kNoPython = "/usr/bin/python3 with torch and numpy is not available";

// A C-order .npy (v1) of float32 ('<f4') or uint8 ('|u1') as a tensor of that type.
inline torch::Tensor read_npy(const std::string& path) {
  const auto b = models::read_file_bytes(path);
  const size_t header_len = b[8] | (b[9] << 8);
  const std::string header(b.begin() + 10, b.begin() + 10 + static_cast<ptrdiff_t>(header_len));
  const bool u8 = header.find("'|u1'") != std::string::npos;
  if (!u8 && header.find("'<f4'") == std::string::npos)
    throw std::runtime_error(path + ": not float32 or uint8: " + header);
  std::vector<int64_t> shape;
  const size_t open = header.find('(', header.find("shape"));
  const size_t close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  for (char* tok = std::strtok(dims.data(), ", "); tok; tok = std::strtok(nullptr, ", "))
    shape.push_back(std::atoll(tok));
  auto t = torch::empty(shape, u8 ? torch::kUInt8 : torch::kFloat32);
  const size_t data_at = 10 + header_len, bytes = static_cast<size_t>(t.nbytes());
  if (b.size() - data_at != bytes) throw std::runtime_error(path + ": truncated");
  std::memcpy(t.data_ptr(), &b[data_at], bytes);
  return t;
}

}  // namespace pf::test

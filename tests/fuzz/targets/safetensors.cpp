// The safetensors reader: 8-byte header length, JSON header, dtypes, shapes, data offsets.
// What it accepts must come back unchanged through our writer and the reader again.
#include <vector>

#include "core/error.h"
#include "fuzz_target.h"
#include "models/checkpoint.h"

PF_FUZZ_TARGET(safetensors) {
  const std::vector<uint8_t> bytes(data, data + size);
  pf::models::Checkpoint ck;
  try {
    ck = pf::models::read_safetensors(bytes, "fuzz.safetensors");
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
    return 0;
  }
  // Outside the try: failing to read back what we wrote is a finding, not an expected error.
  const auto again = pf::models::read_safetensors(
      pf::models::write_safetensors(ck.tensors, ck.metadata), "round-trip.safetensors");
  PF_FUZZ_ASSERT(again.metadata == ck.metadata);
  PF_FUZZ_ASSERT(again.tensors.size() == ck.tensors.size());
  for (size_t i = 0; i < ck.tensors.size(); ++i) {
    const auto &a = ck.tensors[i].second, &b = again.tensors[i].second;
    PF_FUZZ_ASSERT(a.dtype == b.dtype && a.shape == b.shape && a.bytes == b.bytes);
  }
  pf::fuzz::accepted();
  return 0;
}

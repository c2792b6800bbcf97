// The zip reader of .pth checkpoints: central directory, local headers, STORED and DEFLATE
// entries with their CRCs, on whatever bytes a stranger calls a checkpoint.
#include "models/zip.h"

#include <vector>

#include "core/error.h"
#include "fuzz_target.h"

PF_FUZZ_TARGET(zip) {
  std::vector<uint8_t> bytes(data, data + size);
  try {
    const pf::models::ZipReader zip(std::move(bytes), "fuzz.pth");
    bool all_read = true;
    for (const auto& e : zip.entries()) {
      PF_FUZZ_ASSERT(zip.find(e.name) != nullptr);
      try {
        const std::vector<uint8_t> out = zip.read(e);
        PF_FUZZ_ASSERT(out.size() == e.size);  // read() returns the declared size or throws
      } catch (const pf::Error& e) {
        pf::fuzz::expected(e);  // a bad entry does not make the others unreadable
        all_read = false;
      }
    }
    if (all_read) pf::fuzz::accepted();
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

// The restricted unpickler, and what read_pth makes of its result (wrapper keys, storages,
// strides): the fuzzed bytes are the data.pkl of an otherwise well-formed .pth that holds every
// storage the pickle refers to at its declared size (while they total at most 4 MiB; beyond that
// they are 16 bytes), so tensor rebuilds reach the bounds checks of the gather.
#include "models/pickle.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_target.h"
#include "models/checkpoint.h"
#include "models/zip.h"

PF_FUZZ_TARGET(pickle) {
  using namespace pf::models;
  const std::vector<uint8_t> pkl(data, data + size);
  std::map<std::string, uint64_t> storages;
  try {
    const Unpickled u = unpickle(pkl, "fuzz.pkl");
    for (const auto& o : u.arena)
      if (o->kind == PyObject::Kind::kStorage) {
        const uint64_t numel = static_cast<uint64_t>(o->storage->numel);
        const uint64_t bytes =
            numel > (1u << 30) ? UINT64_MAX : numel * dtype_size(o->storage->dtype);
        uint64_t& have = storages[o->storage->key];
        have = std::max(have, bytes);
      }
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
    return 0;  // read_pth would refuse it the same way
  }
  ZipWriter zip;
  zip.add("archive/data.pkl", pkl);
  uint64_t budget = 4u << 20;
  for (const auto& [key, bytes] : storages) {
    const uint64_t n = bytes <= budget ? bytes : 16;
    budget -= bytes <= budget ? bytes : 0;
    zip.add("archive/data/" + key, std::vector<uint8_t>(n, 0x3c));
  }
  try {
    const Checkpoint ck = read_pth(zip.finish(), "fuzz.pth");
    for (const auto& [name, t] : ck.tensors)
      PF_FUZZ_ASSERT(t.bytes.size() ==
                     static_cast<size_t>(checked_numel(t.shape, name)) * dtype_size(t.dtype));
    pf::fuzz::accepted();
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

#include "infer/host_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pf::infer {

void keep_freed_host_memory() {
#if defined(__GLIBC__)
  // Both are needed: a higher mmap threshold alone puts big blocks in the heap, but the default
  // trim threshold (128 kB) would still return them to the kernel on free.
  constexpr int kOneGiB = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kOneGiB);
  mallopt(M_TRIM_THRESHOLD, kOneGiB);
#endif
}

}  // namespace pf::infer

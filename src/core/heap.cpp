#include "core/heap.h"

#include <malloc.h>

namespace pf {

void keep_freed_buffers_in_heap() {
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace pf

// Process-wide allocator settings for jobs that make and drop large frames or activations.
#pragma once

namespace pf {

// glibc maps every block above its mmap threshold (at most 32 MB) fresh and unmaps it when it
// is freed, so a 25 MB frame or a 44 MB activation costs one page fault per 4 KB each time it is
// made: ~6,000 faults (~9 ms) for a 1080p float frame, 14-20 ms for each of SPAN's activations at
// 640x360 on the benchmark VM. Kept in the heap instead, freed blocks are reused as they are; the
// peak memory is the same, it is just not handed back between frames. Idempotent.
void keep_freed_buffers_in_heap();

}  // namespace pf

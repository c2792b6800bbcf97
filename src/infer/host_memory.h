// How the process's heap treats the large, short-lived buffers of a CPU forward pass.
#pragma once

namespace pf::infer {

// Keeps freed large blocks in the heap for the next allocation instead of handing them back to
// the kernel. glibc serves every block over 32 MB with its own mmap and unmaps it on free, so
// each layer's fresh output (60 MB for 64 channels at 640x360) is first-touched page by page
// again: on this machine that made an elementwise add 4x and a 64-channel conv 1.2x slower than
// on reused memory. onnxruntime avoids it with its arena; PyTorch's CPU guide suggests jemalloc.
// Peak RSS is unchanged (blocks are reused, not added); the heap is not trimmed afterwards, which
// suits commands that run one model until they exit (upscale, validate, benches).
void keep_freed_host_memory();

}  // namespace pf::infer

// Files a user names where a file is expected (configs, models, manifests, fonts, videos). A
// FIFO, a device such as /dev/zero or a directory would hang a reader or fill memory, so they are
// refused up front with a message naming the file; files read whole are capped in size.
#pragma once
#include <cstdint>
#include <string>

namespace pf {

// Throws InputError naming `path` (and `what`, e.g. "config") unless it exists and is a regular
// file (after following symlinks).
void require_regular_file(const std::string& path, const char* what);

// The whole of a regular file, at most `max_bytes` of it. Opens without blocking (a FIFO never
// stalls the caller), checks the opened file itself, and stops reading past `max_bytes` even if
// the file grows meanwhile. Throws InputError naming the file when it is not a regular file, is
// unreadable or is larger than `max_bytes`.
std::string read_file_capped(const std::string& path, uint64_t max_bytes, const char* what);

// Caps for files read whole. Configs are a few KB; yaml-cpp spends ~250 bytes of memory and
// ~2 us per byte of a dense flow list (4 MB: 1 GB and 10 s), so 512 KiB bounds a config's
// parse at ~120 MB whatever it holds. Manifests are read a line at a time.
constexpr uint64_t kMaxConfigBytes = 512ull << 10;
constexpr uint64_t kMaxManifestBytes = 1ull << 30;

}  // namespace pf

// Files written whole or not at all: a unique temp file in the same folder, flushed to disk,
// then renamed over the target. A killed writer leaves only a temp file that the next run
// recognises as stale (its process is gone) and removes; readers never see half a file.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pf {

// Creates the parent folders, writes, fsyncs and renames. Throws IoError naming the file (a
// full disk included); the temp file is removed on failure.
void write_file_atomic(const std::string& path, const void* data, size_t size);
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);
void write_file_atomic(const std::string& path, std::string_view text);

// True for a temp file (from write_file_atomic) that no live writer will rename: its process
// on this host is gone, or it is an hour old.
bool is_stale_temp(const std::string& path);
bool is_temp_name(const std::string& path);
// The temp name a writer with process id `pid` on this host would use (tests simulate kills).
std::string temp_path_for_tests(const std::string& path, long pid);

}  // namespace pf

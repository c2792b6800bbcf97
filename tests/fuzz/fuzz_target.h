// One fuzz target, two builds. With PAIRFORGE_LIBFUZZER (the clang build of `make fuzz`) the body
// becomes libFuzzer's LLVMFuzzerTestOneInput; in the normal gcc build it is registered by name,
// so one gtest binary (tests/fuzz/corpus_test.cpp) replays every target's corpus and regression
// inputs through the very same entry points.
//
// The contract of a target: every input either works or ends in a pf::Error (the typed errors
// main() maps to documented exit codes), which the target swallows. Anything else escaping (a
// std::bad_alloc, a cv::Exception, a c10::Error, a json or YAML exception) would reach users as
// "internal error", so it is a finding: libFuzzer reports it as a crash, the replay test fails.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace pf::fuzz {

using TargetFn = int (*)(const uint8_t* data, size_t size);

inline std::map<std::string, TargetFn>& registry() {
  static std::map<std::string, TargetFn> targets;
  return targets;
}

inline bool register_target(const char* name, TargetFn fn) {
  registry()[name] = fn;
  return true;
}

// Logging off (spdlog, FFmpeg, OpenCV): fuzzers run millions of inputs and the warnings a bad
// input earns are expected. Called by every target; cheap after the first call.
void quiet_logs();

// For `catch (const pf::Error& e) { pf::fuzz::expected(e); }`: an error whose message starts
// "internal:" is an invariant the code checks for itself (LQ size after the chain, ...), reached
// through input validation that let something through: a finding like any other.
void expected(const std::exception& e);

// Counts inputs that went all the way through a target (read, built, run: not refused). The
// replay test requires it of every seed but the trimmed fixture heads, so a seed that stops
// working (a renamed key, a changed format) does not silently stop covering anything.
inline int& accepted_count() {
  static int n = 0;
  return n;
}
inline void accepted() {
  ++accepted_count();
}

// A property the target checks (a round trip, a size) failed: libFuzzer aborts (a crash with the
// input saved), the replay test gets an exception naming the check.
[[noreturn]] void check_failed(const char* condition, const char* file, int line);

}  // namespace pf::fuzz

#define PF_FUZZ_ASSERT(condition) \
  ((condition) ? void(0) : pf::fuzz::check_failed(#condition, __FILE__, __LINE__))

namespace pf::fuzz {}  // namespace pf::fuzz

#ifdef PAIRFORGE_LIBFUZZER
#define PF_FUZZ_TARGET(name)                                                \
  static int pf_fuzz_##name(const uint8_t* data, size_t size);              \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    pf::fuzz::quiet_logs();                                                 \
    return pf_fuzz_##name(data, size);                                      \
  }                                                                         \
  static int pf_fuzz_##name(const uint8_t* data, size_t size)
#else
#define PF_FUZZ_TARGET(name)                                     \
  static int pf_fuzz_##name(const uint8_t* data, size_t size);   \
  [[maybe_unused]] static const bool pf_fuzz_registered_##name = \
      pf::fuzz::register_target(#name, pf_fuzz_##name);          \
  static int pf_fuzz_##name(const uint8_t* data, size_t size)
#endif

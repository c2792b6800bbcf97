// The fuzz targets in the normal (gcc, unsanitised) build: every seed of tests/fuzz/corpus/<target>
// and every input kept from a finding (tests/fuzz/regressions/<target>) goes through the target's
// entry point, then a few hundred deterministic mutations of the seeds (bit flips, truncations,
// byte runs, splices), so the targets keep building and the corpus keeps passing without clang.
// Real fuzzing (coverage-guided, ASan + UBSan) is `make fuzz`.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/rng.h"
#include "fuzz_target.h"

namespace fs = std::filesystem;

namespace pf::fuzz {
namespace {

const fs::path kFuzzDir = fs::path(PAIRFORGE_SOURCE_DIR) / "tests" / "fuzz";
constexpr int kMutations = 2000;  // per target: about a second each

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// One input through a target; an escaping exception names the input.
void run_one(TargetFn fn, const std::vector<uint8_t>& bytes, const std::string& what) {
  try {
    fn(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": a non-standard exception escaped";
  }
}

std::vector<uint8_t> mutate(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                            Rng& rng) {
  std::vector<uint8_t> m = a;
  const auto at = [&](size_t n) { return static_cast<size_t>(rng.uniform_int(0, n - 1)); };
  const int edits = 1 + static_cast<int>(rng.uniform_int(0, 3));
  for (int k = 0; k < edits; ++k) {
    switch (rng.uniform_int(0, 5)) {
      case 0:  // flip a bit
        if (!m.empty()) m[at(m.size())] ^= static_cast<uint8_t>(1u << rng.uniform_int(0, 7));
        break;
      case 1:  // set a byte to a boundary value
        if (!m.empty()) {
          static const uint8_t kValues[] = {0, 1, 0x7f, 0x80, 0xff, '0', '9', '-', '\n', '['};
          m[at(m.size())] = kValues[rng.uniform_int(0, std::size(kValues) - 1)];
        }
        break;
      case 2:  // truncate
        if (!m.empty()) m.resize(at(m.size()));
        break;
      case 3:  // erase a run
        if (m.size() > 2) {
          const size_t from = at(m.size()), n = std::min(m.size() - from, 1 + at(16));
          m.erase(m.begin() + static_cast<ptrdiff_t>(from),
                  m.begin() + static_cast<ptrdiff_t>(from + n));
        }
        break;
      case 4:  // duplicate a run
        if (!m.empty()) {
          const size_t from = at(m.size()), n = std::min(m.size() - from, 1 + at(32));
          const std::vector<uint8_t> run(m.begin() + static_cast<ptrdiff_t>(from),
                                         m.begin() + static_cast<ptrdiff_t>(from + n));
          m.insert(m.begin() + static_cast<ptrdiff_t>(at(m.size() + 1)), run.begin(), run.end());
        }
        break;
      case 5:  // splice: this input's head, another seed's tail
        if (!m.empty() && !b.empty()) {
          m.resize(at(m.size()));
          const size_t from = at(b.size());
          m.insert(m.end(), b.begin() + static_cast<ptrdiff_t>(from), b.end());
        }
        break;
    }
  }
  return m;
}

// The resource property of the targets in this build (libFuzzer's -malloc_limit_mb and
// -rss_limit_mb in `make fuzz`, tests/fuzz/run.sh): no input may make the process map more than
// kInputBudget of data beyond what it had when the replay began. RLIMIT_DATA makes an allocation
// past it fail, so an allocation bomb surfaces as a std::bad_alloc that names its input.
constexpr uint64_t kInputBudget = uint64_t{1} << 30;

uint64_t vm_data_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmData:", 0) == 0) return std::stoull(line.substr(7)) * 1024;  // kB
  return 0;
}

// Restores the previous limit when the test ends (the gtest process may run other tests).
class DataLimit {
 public:
  explicit DataLimit(uint64_t bytes) {
    ::getrlimit(RLIMIT_DATA, &old_);
    rlimit l = old_;
    l.rlim_cur = static_cast<rlim_t>(std::min<uint64_t>(bytes, old_.rlim_max));
    active_ = ::setrlimit(RLIMIT_DATA, &l) == 0;
  }
  ~DataLimit() {
    if (active_) ::setrlimit(RLIMIT_DATA, &old_);
  }
  bool active() const { return active_; }

 private:
  rlimit old_{};
  bool active_ = false;
};

class FuzzCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzCorpus, SeedsRegressionsAndMutationsPass) {
  quiet_logs();
  const std::string& name = GetParam();
  const TargetFn fn = registry().at(name);
  const auto seeds = files_in(kFuzzDir / "corpus" / name);
  ASSERT_FALSE(seeds.empty()) << "no seed corpus in tests/fuzz/corpus/" << name;
  std::vector<std::vector<uint8_t>> inputs;
  const DataLimit limit(vm_data_bytes() + kInputBudget);
  EXPECT_TRUE(limit.active());
  for (const auto& p : seeds) {
    inputs.push_back(read_bytes(p));
    const int before = accepted_count();
    run_one(fn, inputs.back(), p.string());
    // Trimmed fixture heads are cut files by design; every other seed must work.
    if (p.filename().string().rfind("head_", 0) != 0)
      EXPECT_EQ(accepted_count(), before + 1) << p << " is refused: the seed no longer covers much";
  }
  for (const auto& p : files_in(kFuzzDir / "regressions" / name))
    run_one(fn, read_bytes(p), p.string());
  Rng rng(derive_seed(1, name, 0));
  for (int i = 0; i < kMutations; ++i) {
    const size_t a = static_cast<size_t>(rng.uniform_int(0, inputs.size() - 1));
    const size_t b = static_cast<size_t>(rng.uniform_int(0, inputs.size() - 1));
    run_one(fn, mutate(inputs[a], inputs[b], rng),
            "mutation " + std::to_string(i) + " of " + seeds[a].string());
  }
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : registry()) names.push_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpus, ::testing::ValuesIn(target_names()),
                         [](const auto& info) { return info.param; });

TEST(FuzzCorpusLayout, EveryCorpusFolderHasATarget) {
  for (const char* dir : {"corpus", "regressions"}) {
    if (!fs::is_directory(kFuzzDir / dir)) continue;
    for (const auto& e : fs::directory_iterator(kFuzzDir / dir))
      EXPECT_TRUE(registry().count(e.path().filename().string()))
          << e.path() << " belongs to no fuzz target";
  }
}

}  // namespace
}  // namespace pf::fuzz

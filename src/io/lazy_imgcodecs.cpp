#include "io/lazy_imgcodecs.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "core/error.h"

namespace fs = std::filesystem;

namespace pf::io {
namespace {

using DecodeFn = void (*)(const std::vector<uint8_t>*, int, cv::Mat*);
using EncodeFn = bool (*)(const char*, const cv::Mat*, std::vector<uint8_t>*,
                          const std::vector<int>*);

struct Module {
  DecodeFn decode = nullptr;
  EncodeFn encode = nullptr;
};

// Beside the executable (the pairforge binaries), else where this build put it (the tests and
// benchmarks run from other folders).
const Module& module() {
  static Module m;
  static std::once_flag once;
  std::call_once(once, [] {
    std::error_code ec;
    const fs::path beside = fs::read_symlink("/proc/self/exe", ec).parent_path() /
                            fs::path(PF_IMGCODECS_MODULE).filename();
    std::string tried;
    for (const fs::path& p : {beside, fs::path(PF_IMGCODECS_MODULE)}) {
      // RTLD_LOCAL: GDAL's symbols stay out of the global namespace.
      if (void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        m.decode = reinterpret_cast<DecodeFn>(dlsym(h, "pf_imgcodecs_decode"));
        m.encode = reinterpret_cast<EncodeFn>(dlsym(h, "pf_imgcodecs_encode"));
        if (m.decode && m.encode) return;
      }
      const char* why = dlerror();
      tried += "\n  " + p.string() + ": " + (why ? why : "entry points missing");
    }
    m = Module{};
    throw Error("cannot load the image codec module (WebP, TIFF, BMP):" + tried);
  });
  return m;
}

}  // namespace

cv::Mat imdecode_lazy(const std::vector<uint8_t>& bytes, int flags) {
  cv::Mat out;
  module().decode(&bytes, flags, &out);
  return out;
}

bool imencode_lazy(const std::string& ext, const cv::Mat& img, std::vector<uint8_t>& out,
                   const std::vector<int>& params) {
  return module().encode(ext.c_str(), &img, &out, &params);
}

}  // namespace pf::io

// CPU upscale throughput of Compact x2 and SPAN x2 through pairforge's Upscaler (whole frame,
// no tiling) at 640x360 and 1280x720; also writes each model's ONNX export next to the CSV so
// bench/infer_bench.sh can time onnxruntime-node on the same graphs.
// Usage: infer_bench FIXTURES_DIR OUT_DIR [THREADS] [REPEATS]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "infer/onnx_export.h"
#include "infer/upscaler.h"
#include "median_time.h"

using namespace pf;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: infer_bench FIXTURES_DIR OUT_DIR [THREADS] [REPEATS]\n");
    return 2;
  }
  const std::string fixtures = argv[1], out_dir = argv[2];
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 3;
  std::filesystem::create_directories(out_dir);
  infer::set_threads(threads);
  const std::vector<std::pair<std::string, std::string>> models{
      {"compact_x2", fixtures + "/models/2x_AnimeJaNai_Standard_V1_Compact.safetensors"},
      {"span_x2", fixtures + "/models/2xLiveActionV1_SPAN.safetensors"},
  };
  std::printf("engine,model,width,height,threads,median_s,fps,mp_per_s\n");
  for (const auto& [name, path] : models) {
    auto exported = models::load_model(path);
    infer::export_onnx(exported, out_dir + "/" + name + ".onnx", infer::ExportOptions{});
    infer::UpscaleOptions o;
    o.device = "cpu";
    o.tile = 0;
    o.memory_budget_mb = 1 << 14;  // whole frames: this measures the model, not the tiling
    infer::Upscaler up(models::load_model(path), o);
    for (const auto& [w, h] : {std::pair<int, int>{640, 360}, {1280, 720}}) {
      torch::manual_seed(0);
      const auto x = torch::rand({3, h, w});
      const double s = median_seconds([&] { up.upscale(x); }, repeats);
      std::printf("pairforge,%s,%d,%d,%d,%.3f,%.3f,%.3f\n", name.c_str(), w, h, threads, s, 1 / s,
                  w * h / 1e6 / s);
      std::fflush(stdout);
    }
  }
  return 0;
}

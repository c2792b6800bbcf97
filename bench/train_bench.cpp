// Training step time of Compact x2 and SPAN-S x2 (batch 8, lq_size 64, L1 + AdamW): forward,
// loss, backward and optimiser step with pairforge's own parts (models, losses, AdamOptimizer),
// median over steps after two warm-up steps, per thread count and memory layout.
// Compare with bench/python/train_bench.py (the same step in Debian's Python torch).
// Usage: train_bench [STEPS] [BATCH] [LQ] [THREADS]
// OpenBLAS (the 1x1 convolutions' GEMMs) keeps its own thread count, all cores unless
// OPENBLAS_NUM_THREADS says otherwise: bench/train_bench.sh sets it to THREADS for both sides.
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

#include "median_time.h"
#include "models/model.h"
#include "train/losses/loss.h"
#include "train/network.h"
#include "train/optimizer.h"

using namespace pf;

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 10;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 8, lq = argc > 3 ? std::atoll(argv[3]) : 64;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  std::printf("arch,layout,threads,median_s_per_step\n");
  for (const std::string arch : {"compact", "span_s"}) {
    train::Warnings w;
    const auto net_yaml = YAML::Load("{type: " + arch + "}");
    const auto spec = train::read_network(net_yaml, "bench", 2, w).spec;
    for (const bool channels_last : {false, true}) {
      {
        at::set_num_threads(threads);
        torch::manual_seed(0);
        auto net = models::build_model(spec);
        net.ptr()->train();
        if (channels_last) models::use_channels_last(*net.ptr());
        std::vector<std::pair<std::string, torch::Tensor>> params;
        for (auto& p : net.ptr()->named_parameters())
          if (p.key().find("eval_conv") == std::string::npos) params.emplace_back(p.key(), p.value());
          else p.value().set_requires_grad(false);
        train::OptimizerOptions o;
        o.type = "AdamW";
        o.lr = 2e-4;
        o.betas = {0.9, 0.99};
        o.weight_decay = 0;
        train::AdamOptimizer opt(params, o);
        const auto format = channels_last ? torch::MemoryFormat::ChannelsLast
                                          : torch::MemoryFormat::Contiguous;
        const auto x = torch::rand({batch, 3, lq, lq}).contiguous(format);
        const auto y = torch::rand({batch, 3, 2 * lq, 2 * lq}).contiguous(format);
        const double s = median_seconds(
            [&] {
              const auto out = net.forward(x);
              const auto loss = (out - y).abs().mean();
              loss.backward();
              opt.step();
              opt.zero_grad();
            },
            steps);
        std::printf("%s,%s,%d,%.4f\n", arch.c_str(), channels_last ? "channels_last" : "nchw",
                    threads, s);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

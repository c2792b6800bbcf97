// Writes the model-file seeds of the fuzz corpus with pairforge's own writers: tiny Compact,
// SPAN and LBO checkpoints (.pth and .safetensors, F32 and F16), their data.pkl pickles and zips.
// Run by tests/fuzz/make_corpus.sh (`fuzz_make_seeds OUT_DIR`); the files are committed, this
// program only documents and reproduces them.
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "models/checkpoint.h"
#include "models/model.h"
#include "models/pickle.h"
#include "models/zip.h"

namespace fs = std::filesystem;
using namespace pf::models;

namespace {

// Every seed must be what the fuzz target's happy path takes: a checkpoint that reads back to the
// same tensors and loads as the model it was made from. A seed that does not is a bug here.
void require(bool ok, const std::string& what) {
  if (ok) return;
  std::cerr << "fuzz_make_seeds: " << what << "\n";
  std::exit(1);
}

void write(const fs::path& p, const std::vector<uint8_t>& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

ModelSpec spec(const std::string& arch, int64_t scale,
               std::vector<std::pair<std::string, std::string>> params) {
  ModelSpec s;
  s.arch = arch;
  s.scale = scale;
  s.params = std::move(params);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds OUT_DIR (writes OUT_DIR/<target>/...)\n";
    return 2;
  }
  const fs::path out(argv[1]);
  torch::manual_seed(0);
  struct Model {
    const char* name;
    ModelSpec spec;
    DType dtype;
    bool pth;  // SPAN's 70 KB .pth (150 tensors) would be cut by the fuzzers' size limit
  };
  const Model models[] = {
      {"compact_prelu_x2",
       spec("Compact", 2, {{"num_feat", "4"}, {"num_conv", "1"}, {"act_type", "prelu"}}),
       DType::kF32, true},
      {"compact_relu_x4_f16",
       spec("Compact", 4, {{"num_feat", "3"}, {"num_conv", "2"}, {"act_type", "relu"}}),
       DType::kF16, true},
      {"span_x2_f16",
       spec("SPAN", 2,
            {{"feature_channels", "2"},
             {"norm", "true"},
             {"img_range", "255"},
             {"rgb_mean", "0.4488,0.4371,0.4040"}}),
       DType::kF16, false},
      {"lbo_f16", spec("LBO", 1, {{"num_feat", "4"}, {"downscale", "2"}}), DType::kF16, true},
  };
  for (const auto& m : models) {
    const auto module = build_model(m.spec);
    const NamedTensors tensors = module_state(*module.ptr(), m.dtype);
    const Metadata meta = m.spec.to_metadata();
    const std::vector<uint8_t> st = write_safetensors(tensors, meta);
    const Checkpoint back = read_safetensors(st, m.name);
    require(back.tensors.size() == tensors.size(), std::string(m.name) + ": tensors lost");
    require(load_model(back, m.name).param_count > 0, std::string(m.name) + ": does not load");
    write(out / "checkpoint" / (std::string(m.name) + ".safetensors"), st);
    write(out / "safetensors" / (std::string(m.name) + ".safetensors"),
          write_safetensors(tensors, meta));
    if (!m.pth) continue;
    write(out / "checkpoint" / (std::string(m.name) + ".pth"), write_pth(tensors, meta));
    PthOptions both;
    both.also_params = true;
    const auto pth = write_pth(tensors, {}, both);
    write(out / "zip" / (std::string(m.name) + ".pth"), pth);
    const ZipReader zip(pth, m.name);
    write(out / "pickle" / (std::string(m.name) + ".pkl"), zip.read(*zip.find("archive/data.pkl")));
  }
  return 0;
}

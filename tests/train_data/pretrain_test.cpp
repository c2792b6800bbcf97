// Fine-tuning from the released community models: the shipped finetune config loads
// 2xLiveActionV1_SPAN strictly and trains on frames degraded on the fly; a pretrain of another
// size loads what fits with strict_load_g: false and names the rest.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "models/checkpoint.h"
#include "models/fixtures.h"
#include "models/model.h"
#include "test_util.h"
#include "train/data/datasets.h"
#include "train/network.h"
#include "train/trainer.h"

using namespace pf::train;

namespace {
const char* kSpan = "models/2xLiveActionV1_SPAN.safetensors";
const char* kCompact = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";
}  // namespace

TEST(Pretrain, FinetuneConfigStartsFromTheReleasedSpanAndKeepsItsOutput) {
  PF_REQUIRE_FIXTURE(kSpan);
  pf::test::TempDir dir;
  auto doc =
      pf::load_yaml_file(std::string(PAIRFORGE_SOURCE_DIR) + "/configs/train/finetune_span_2x.yml");
  for (const std::string& set :
       {"path.pretrain_network_g=" + pf::test::fixture(kSpan),
        "datasets.train.dataroot_gt=[" + std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples]",
        "datasets.train.degradation=" + std::string(PAIRFORGE_SOURCE_DIR) +
            "/configs/degrade/liveaction_span.yml",
        std::string("datasets.train.lq_size=16"),
        std::string("datasets.train.batch_size_per_gpu=2"), std::string("train.total_iter=2"),
        std::string("train.optim_g.lr=0"), std::string("train.warmup_iter=-1"),
        std::string("logger.print_freq=1")})
    apply_set(doc.root, set);
  const TrainConfig c = TrainConfig::parse(doc);
  Warnings w;
  TrainerOptions o;
  o.experiments_root = dir / "experiments";
  o.device = "cpu";
  o.threads = 2;
  const auto r = run_training(c, make_train_data(c, w), o);
  ASSERT_EQ(r.model_files.size(), 2u);
  // With lr 0 the weights stay the released ones: the EMA file's folded convs are the fixture's
  // eval_conv, bit for bit after the fold.
  const auto released = pf::models::read_checkpoint(pf::test::fixture(kSpan));
  const auto saved = pf::models::read_checkpoint(r.model_files[1]);
  for (const char* key : {"conv_1.eval_conv.weight", "block_3.c2_r.eval_conv.weight",
                          "upsampler.0.weight", "conv_cat.bias"}) {
    const auto a = pf::models::to_torch(*pf::models::find_tensor(released.tensors, key));
    const auto b = pf::models::to_torch(*pf::models::find_tensor(saved.tensors, key));
    EXPECT_TRUE(torch::allclose(a, b, 0, 1e-6)) << key;
  }
}

TEST(Pretrain, NonStrictLoadsWhatFitsAndNamesTheRest) {
  PF_REQUIRE_FIXTURE(kCompact);
  // The released Compact has 16 body convs; an UltraCompact has 8: the first layers fit, the
  // last conv (body.18 here, body.34 there) and everything past body.17 do not line up.
  Warnings w;
  const auto spec = read_network(YAML::Load("{type: ultracompact}"), "t", 2, w).spec;
  auto net = pf::models::build_model(spec);
  EXPECT_THROW(load_pretrain(*net.ptr(), pf::test::fixture(kCompact), "", true), pf::ModelError);
  const auto r = load_pretrain(*net.ptr(), pf::test::fixture(kCompact), "", false);
  EXPECT_EQ(r.loaded.size(), 27u);  // 9 convs (weight, bias) and 9 PReLUs
  EXPECT_FALSE(r.unused.empty());
  bool skipped_last = false;
  for (const auto& s : r.skipped) skipped_last = skipped_last || s.find("body.18.weight") == 0;
  EXPECT_TRUE(skipped_last);
  const auto released = pf::models::read_checkpoint(pf::test::fixture(kCompact));
  torch::Tensor first;
  for (const auto& p : net.ptr()->named_parameters())
    if (p.key() == "body.0.weight") first = p.value();
  EXPECT_TRUE(torch::equal(
      first, pf::models::to_torch(*pf::models::find_tensor(released.tensors, "body.0.weight"))));
}

// Issue 26: a pretrain of another arch is named for what it is against what the config builds,
// at --check (check_models) as at start, without advice that cannot help.
TEST(Pretrain, AnotherArchIsDescribedAgainstTheConfig) {
  PF_REQUIRE_FIXTURE(kSpan);
  auto doc = pf::load_yaml_string(
      "name: t\nscale: 2\ndatasets:\n  train:\n    type: pairedimagedataset\n"
      "    dataroot_gt: [g]\n    dataroot_lq: [l]\n    lq_size: 8\n    batch_size_per_gpu: 1\n"
      "network_g: {type: compact}\npath: {strict_load_g: true}\n"
      "train:\n  total_iter: 1\n  optim_g: {type: Adam, lr: 1e-4}\n"
      "  losses: [{type: l1loss, loss_weight: 1}]\n",
      "t.yml");
  apply_set(doc.root, "path.pretrain_network_g=" + pf::test::fixture(kSpan));
  for (const char* strict : {"true", "false"}) {
    apply_set(doc.root, std::string("path.strict_load_g=") + strict);
    const TrainConfig c = TrainConfig::parse(doc);
    try {
      check_models(c);
      FAIL() << strict;
    } catch (const pf::ModelError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("is SPAN x2 (feature_channels 48), traiNNer-redux's span_s; "),
                std::string::npos)
          << m;
      EXPECT_NE(m.find("MB safetensors"), std::string::npos) << m;
      EXPECT_NE(m.find("but network_g is Compact x2 (num_feat 64, num_conv 16): set network_g "
                       "type: span_s"),
                std::string::npos)
          << m;
      EXPECT_EQ(m.find("strict_load_g: false"), std::string::npos) << m;
      EXPECT_EQ(m.find("missing"), std::string::npos) << m;
    }
  }
  // The same arch at another size: what fits is counted and the switch offered.
  PF_REQUIRE_FIXTURE(kCompact);
  Warnings w;
  const auto spec = read_network(YAML::Load("{type: ultracompact}"), "t", 2, w).spec;
  auto net = pf::models::build_model(spec);
  try {
    load_pretrain(*net.ptr(), pf::test::fixture(kCompact), "", true, "network_g", &spec);
    FAIL();
  } catch (const pf::ModelError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("is Compact x2 (num_feat 64, num_conv 16), traiNNer-redux's compact"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("but network_g is Compact x2 (num_feat 64, num_conv 8). 27 of its"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("strict_load_g: false loads those"), std::string::npos) << m;
  }
  EXPECT_EQ(load_pretrain(*net.ptr(), pf::test::fixture(kCompact), "", false, "network_g", &spec)
                .loaded.size(),
            27u);
  // Not a file: refused before anything is read.
  EXPECT_THROW(load_pretrain(*net.ptr(), "/dev/zero", "", false, "network_g", &spec),
               pf::InputError);
}

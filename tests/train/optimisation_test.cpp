// The learning-rate schedules, warm-up, EMA, Adam/AdamW and fp16 loss scaling against their
// formulas.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "train/ema.h"
#include "train/loss_scaler.h"
#include "train/optimizer.h"
#include "train/scheduler.h"
#include "train_test_util.h"

using namespace pf::train;

namespace {
ScheduleOptions schedule(const std::string& yaml) {
  Warnings w;
  const auto doc = pf::load_yaml_string(yaml, "s.yml");
  return read_scheduler(doc.root, "s.yml", w);
}
}  // namespace

TEST(Schedule, MultiStepHalvesAtEachMilestone) {
  const auto s = schedule("{type: MultiStepLR, milestones: [100, 200, 200], gamma: 0.5}");
  EXPECT_DOUBLE_EQ(learning_rate(s, 2e-4, 1, -1), 2e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 2e-4, 99, -1), 2e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 2e-4, 100, -1), 1e-4);  // torch: stepped 100 times
  EXPECT_DOUBLE_EQ(learning_rate(s, 2e-4, 199, -1), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 2e-4, 200, -1), 2.5e-5);  // a repeated milestone counts twice
}

TEST(Schedule, WarmUpIsLinearThenTheSchedule) {
  const auto s = schedule("{type: multisteplr, milestones: [10], gamma: 0.1}");
  EXPECT_DOUBLE_EQ(learning_rate(s, 1e-3, 1, 4), 2.5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1e-3, 3, 4), 7.5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1e-3, 4, 4), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1e-3, 5, 4), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1e-3, 12, 4), 1e-4);
}

TEST(Schedule, CosineCurves) {
  const auto c = schedule("{type: CosineAnnealingLR, T_max: 100, eta_min: 1e-6}");
  EXPECT_NEAR(learning_rate(c, 1e-3, 50, -1), 1e-6 + (1e-3 - 1e-6) / 2, 1e-12);
  EXPECT_NEAR(learning_rate(c, 1e-3, 100, -1), 1e-6, 1e-12);
  const auto r =
      schedule("{type: CosineAnnealingRestartLR, periods: [10, 20], restart_weights: [1, 0.5]}");
  EXPECT_NEAR(learning_rate(r, 1.0, 5, -1), 0.5, 1e-12);
  EXPECT_NEAR(learning_rate(r, 1.0, 10, -1), 0.0, 1e-12);
  EXPECT_NEAR(learning_rate(r, 1.0, 11, -1), 0.25 * (1 + std::cos(M_PI / 20)), 1e-12);
  EXPECT_NEAR(learning_rate(r, 1.0, 20, -1), 0.25, 1e-12);  // half way through the second
}

TEST(Schedule, OptionsOfAnotherTypeAreErrors) {
  try {
    schedule("{type: CosineAnnealingLR,\n T_max: 10,\n milestones: [5]}");
    FAIL();
  } catch (const pf::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("s.yml:3:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(schedule("{type: OneCycleLR}"), pf::ConfigError);
  EXPECT_THROW(schedule("{type: MultiStepLR}"), pf::ConfigError);  // no milestones
}

TEST(Ema, DecayFollowsEmaPytorchsWarmUp) {
  EmaOptions o;
  o.decay = 0.999;
  o.power = 0.75;
  EXPECT_EQ(Ema::decay_at(o, 1), 0.0);
  EXPECT_NEAR(Ema::decay_at(o, 2), 1 - std::pow(2.0, -0.75), 1e-12);
  EXPECT_NEAR(Ema::decay_at(o, 11), 1 - std::pow(11.0, -0.75), 1e-12);
  EXPECT_EQ(Ema::decay_at(o, 100000), 0.999);  // capped at ema_decay
  o.update_after_step = 5;
  EXPECT_EQ(Ema::decay_at(o, 6), 0.0);
  EXPECT_NEAR(Ema::decay_at(o, 8), 1 - std::pow(3.0, -0.75), 1e-12);
}

TEST(Ema, UpdatesAreTheMovingAverage) {
  torch::nn::Linear online(2, 1), copy(2, 1);
  EmaOptions o;
  o.decay = 0.5;
  o.power = 1;
  Ema ema(*online, *copy, o);
  torch::NoGradGuard no_grad;
  online->weight.fill_(1);
  online->bias.fill_(1);
  ema.update();  // step 0: copies
  EXPECT_TRUE(torch::equal(copy->weight, online->weight));
  online->weight.fill_(3);
  ema.update();  // step 1: initted, decay at step 2 = min(0.5, 1 - 2^-1) = 0.5
  EXPECT_NEAR(copy->weight[0][0].item<double>(), 3 * 0.5 + 3 * 0.5, 1e-6);  // copied, then mixed
  online->weight.fill_(5);
  ema.update();  // decay min(0.5, 1 - 3^-1) = 0.5: 0.5 * 3 + 0.5 * 5
  EXPECT_NEAR(copy->weight[0][0].item<double>(), 4.0, 1e-6);
  EXPECT_EQ(ema.step(), 3);
}

TEST(Adam, FirstStepIsLrTimesTheGradientsSign) {
  for (const char* type : {"Adam", "AdamW"}) {
    auto p = torch::tensor({1.0f, -2.0f, 3.0f}).requires_grad_(true);
    OptimizerOptions o;
    o.type = type;
    o.lr = 0.1;
    o.weight_decay = 0;
    AdamOptimizer opt({{"p", p}}, o);
    p.mutable_grad() = torch::tensor({0.5f, -4.0f, 0.0f});
    opt.step();
    // m_hat = g, v_hat = g^2: update = -lr g / (|g| + eps)
    EXPECT_NEAR(p[0].item<double>(), 1 - 0.1, 1e-6) << type;
    EXPECT_NEAR(p[1].item<double>(), -2 + 0.1, 1e-6) << type;
    EXPECT_NEAR(p[2].item<double>(), 3, 1e-9) << type;
  }
}

TEST(Adam, WeightDecayIsDecoupledOnlyForAdamW) {
  const auto run = [](const char* type) {
    auto p = torch::tensor({2.0f}).requires_grad_(true);
    OptimizerOptions o;
    o.type = type;
    o.lr = 0.1;
    o.weight_decay = 0.5;
    AdamOptimizer opt({{"p", p}}, o);
    p.mutable_grad() = torch::tensor({1.0f});
    opt.step();
    return p.item<double>();
  };
  EXPECT_NEAR(run("AdamW"), 2 * (1 - 0.05) - 0.1, 1e-6);  // p *= 1 - lr wd, then the Adam step
  EXPECT_NEAR(run("Adam"), 2 - 0.1, 1e-6);                // wd folds into g: sign unchanged
}

TEST(Adam, StateRoundTripContinuesIdentically) {
  const auto make = [] {
    return std::vector<std::pair<std::string, torch::Tensor>>{
        {"w", torch::arange(6, torch::kFloat32).view({2, 3}).requires_grad_(true)}};
  };
  OptimizerOptions o;
  o.amsgrad = true;
  auto a = make(), b = make();
  AdamOptimizer oa(a, o), ob(b, o);
  const auto grad = [](int k) { return torch::full({2, 3}, 0.1f * static_cast<float>(k + 1)); };
  for (int k = 0; k < 3; ++k) {
    a[0].second.mutable_grad() = grad(k);
    oa.step();
  }
  {
    torch::NoGradGuard no_grad;
    b[0].second.copy_(a[0].second);
  }
  ob.load_state(oa.state(), "state");
  for (int k = 3; k < 5; ++k) {
    a[0].second.mutable_grad() = grad(k);
    b[0].second.mutable_grad() = grad(k);
    oa.step();
    ob.step();
  }
  EXPECT_TRUE(torch::equal(a[0].second, b[0].second));
  auto bad = oa.state();
  bad[1].second = torch::zeros({7});
  EXPECT_THROW(ob.load_state(bad, "bad.state"), pf::ModelError);
}

TEST(LossScaler, FollowsGradScalersRules) {
  LossScaler s(true);
  EXPECT_DOUBLE_EQ(s.scale(), 65536.0);
  auto p = torch::zeros({3}).requires_grad_();
  (s.scale_loss((p * torch::tensor({1.0f, 2.0f, -3.0f})).sum())).backward();
  ASSERT_TRUE(s.unscale({p}));
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({1.0f, 2.0f, -3.0f})));  // exact: 2^16

  p.mutable_grad() = torch::tensor({1.0f, INFINITY, 0.0f});
  EXPECT_FALSE(s.unscale({p}));
  s.update(true);  // overflow: halve, skip, restart the growth count
  EXPECT_DOUBLE_EQ(s.scale(), 32768.0);
  for (int i = 0; i < 1999; ++i) s.update(false);
  EXPECT_DOUBLE_EQ(s.scale(), 32768.0);
  EXPECT_EQ(s.growth_tracker(), 1999);
  s.update(false);  // the 2000th clean step doubles it
  EXPECT_DOUBLE_EQ(s.scale(), 65536.0);
  EXPECT_EQ(s.growth_tracker(), 0);
}

TEST(LossScaler, DisabledIsTheIdentity) {
  LossScaler s(false);
  EXPECT_DOUBLE_EQ(s.scale(), 1.0);
  const auto loss = torch::tensor(0.25f);
  EXPECT_TRUE(torch::equal(s.scale_loss(loss), loss));
  auto p = torch::zeros({1}).requires_grad_();
  p.mutable_grad() = torch::tensor({NAN});
  EXPECT_TRUE(s.unscale({p}));  // bf16 and fp32 steps are never skipped
  s.update(true);
  EXPECT_DOUBLE_EQ(s.scale(), 1.0);
}

// Promises operators make about what they leave alone. ParamSpec::relevant_when: a parameter
// declared irrelevant for a draw changes nothing. The manifest leaves such values out and replay
// gives them their defaults, so a wrong declaration would break byte-identical replay. Checked here
// for every operator with random draws over the whole declared ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "degrade/pipeline.h"
#include "degrade/registry.h"
#include "test_util.h"

namespace pf::degrade {
namespace {

Value random_value(const ParamSpec& s, Rng& rng) {
  switch (s.type) {
    case ParamType::kBool:
      return rng.bernoulli(0.5);
    case ParamType::kChoice:
      return s.choices[static_cast<size_t>(rng.uniform_int(0, s.choices.size() - 1))];
    case ParamType::kString:
      return s.def;
    case ParamType::kInt: {
      // Keep heavy parameters (clip lengths, kernel sizes) modest so the test stays fast.
      const double hi = std::min(s.hi, std::isfinite(s.lo) ? s.lo + 24 : 24.0);
      int64_t v = rng.uniform_int(static_cast<int64_t>(s.lo), static_cast<int64_t>(hi));
      if (s.odd && v % 2 == 0) v = v + 1 <= s.hi ? v + 1 : v - 1;
      return v;
    }
    case ParamType::kFloat: {
      const double lo = std::isfinite(s.lo) ? s.lo : -10, hi = std::isfinite(s.hi) ? s.hi : 10;
      return rng.uniform(lo, hi);
    }
  }
  return s.def;
}

TEST(Relevance, ConditionsNameRealParametersAndChoices) {
  for (const OpInfo* op : all_ops())
    for (const ParamSpec& s : op->params) {
      if (s.relevant_when.empty()) continue;
      const auto eq = s.relevant_when.find('=');
      ASSERT_NE(eq, std::string::npos) << op->name << "." << s.name;
      const std::string other = s.relevant_when.substr(0, eq);
      const auto it = std::find_if(op->params.begin(), op->params.end(),
                                   [&](const ParamSpec& p) { return p.name == other; });
      ASSERT_NE(it, op->params.end()) << op->name << "." << s.name << " names " << other;
      if (it->type == ParamType::kChoice) {
        std::string rest = s.relevant_when.substr(eq + 1) + "|";
        for (size_t at = 0, bar; (bar = rest.find('|', at)) != std::string::npos; at = bar + 1)
          EXPECT_NE(std::find(it->choices.begin(), it->choices.end(), rest.substr(at, bar - at)),
                    it->choices.end())
              << op->name << "." << s.name << ": " << rest.substr(at, bar - at);
      }
    }
}

TEST(Relevance, IrrelevantValuesChangeNothing) {
  const cv::Mat hq = test::textured_image(48, 32, 3);
  const char* only = std::getenv("PF_RELEVANCE_ONLY");  // debugging one operator
  for (const OpInfo* op : all_ops()) {
    if (only && op->name != only) continue;
    SCOPED_TRACE(op->name);
    Rng draw(hash_string(op->name));
    int checked = 0;
    for (int trial = 0; trial < 12; ++trial) {
      Values full;
      for (const ParamSpec& s : op->params) full.emplace_back(s.name, random_value(s, draw));
      Values reduced = full;
      bool any_irrelevant = false;
      for (size_t i = 0; i < op->params.size(); ++i)
        if (!is_relevant(op->params[i], full)) {
          reduced[i].second = op->params[i].def;
          any_irrelevant = true;
        }
      if (!any_irrelevant) continue;
      Pair a{hq.clone(), test::textured_image(24, 16, 4), 2, {}};
      Pair b{a.hq.clone(), a.lq.clone(), 2, {}};
      const uint64_t seed = draw.next_u64();
      try {
        Rng ra(seed);
        op->make()->apply(full, a, ra);
      } catch (const Error&) {
        continue;  // a random combination the operator rejects (e.g. a format an encoder lacks)
      }
      Rng rb(seed);
      ASSERT_NO_THROW(op->make()->apply(reduced, b, rb));
      ASSERT_EQ(a.lq.size(), b.lq.size());
      EXPECT_EQ(cv::norm(a.lq, b.lq, cv::NORM_INF), 0.0);
      EXPECT_EQ(cv::norm(a.hq, b.hq, cv::NORM_INF), 0.0);
      ++checked;
    }
    RecordProperty(op->name, checked);
  }
}

// OpInfo::keeps_hq is a promise as well: apply_op keeps HQ's 8-bit copy (Pair::hq8, which the job
// writes as HQ's PNG) across such an operator, so it must leave HQ exactly as it was. Checked with
// random draws for every operator that makes the promise; the others drop the copy. (A learned
// operator needs a weights file: lbo_test checks its promise.)
TEST(Relevance, OperatorsThatKeepHqLeaveItUnchanged) {
  const cv::Mat hq = test::textured_image(48, 32, 3);
  for (const OpInfo* op : all_ops()) {
    SCOPED_TRACE(op->name);
    if (std::any_of(op->params.begin(), op->params.end(),
                    [](const ParamSpec& s) { return s.file; }))
      continue;
    Rng draw(hash_string(op->name) + 1);
    int checked = 0;
    for (int trial = 0; trial < 6; ++trial) {
      Values values;
      for (const ParamSpec& s : op->params) values.emplace_back(s.name, random_value(s, draw));
      Pair pair{hq.clone(), test::textured_image(24, 16, 4), 2, {}};
      pair.hq8 = cv::Mat(hq.size(), CV_8UC3, cv::Scalar::all(7));
      Rng rng(draw.next_u64());
      try {
        apply_op(*op, *op->make(), values, pair, rng);
      } catch (const Error&) {
        continue;  // a combination the operator rejects
      }
      EXPECT_EQ(pair.hq8.empty(), !op->keeps_hq);
      if (op->keeps_hq) {
        ASSERT_EQ(pair.hq.size(), hq.size());
        EXPECT_EQ(cv::norm(pair.hq, hq, cv::NORM_INF), 0.0);
      }
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }
}

}  // namespace
}  // namespace pf::degrade

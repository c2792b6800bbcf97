// Pipeline semantics: firing probabilities, one_of weights, repeat counts, shuffle, determinism.
#include "degrade/pipeline.h"

#include <gtest/gtest.h>

#include <map>

#include "degrade/config.h"

namespace pf::degrade {
namespace {

Pipeline parse(const std::string& yaml) {
  const YamlDoc doc = load_yaml_string(yaml, "t.yml");
  return Pipeline::parse(doc.root, doc.file);
}

Pair small_pair() {
  cv::Mat img(8, 8, CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  return {img.clone(), img.clone(), 1, {}};
}

// Runs the pipeline n times with different seeds; returns the recorded chains.
std::vector<std::vector<StepRecord>> sample_runs(const Pipeline& p, int n) {
  std::vector<std::vector<StepRecord>> runs;
  for (int i = 0; i < n; ++i) {
    Pair pair = small_pair();
    Rng rng(static_cast<uint64_t>(i) * 7919 + 1);
    std::vector<StepRecord> r;
    p.run(pair, rng, r);
    runs.push_back(std::move(r));
  }
  return runs;
}

std::string kernel_of(const StepRecord& r) {
  for (const auto& [k, v] : r.values)
    if (k == "kernel") return std::get<std::string>(v);
  return "";
}

TEST(Pipeline, ProbabilityControlsFiringRate) {
  const auto runs = sample_runs(parse("- blur: {p: 0.3, size: 3}\n"), 4000);
  int fired = 0;
  for (const auto& r : runs) fired += static_cast<int>(r.size());
  EXPECT_NEAR(fired / 4000.0, 0.3, 0.025);
}

TEST(Pipeline, OneOfFollowsWeights) {
  const auto runs = sample_runs(
      parse("- one_of: {weights: [0.7, 0.2, 0.1], steps: [{blur: {kernel: iso, size: 3}}, "
            "{blur: {kernel: box, size: 3}}, {blur: {kernel: disc, size: 3}}]}\n"),
      5000);
  std::map<std::string, int> count;
  for (const auto& r : runs) {
    ASSERT_EQ(r.size(), 1u);
    count[kernel_of(r[0])]++;
  }
  EXPECT_NEAR(count["iso"] / 5000.0, 0.7, 0.02);
  EXPECT_NEAR(count["box"] / 5000.0, 0.2, 0.02);
  EXPECT_NEAR(count["disc"] / 5000.0, 0.1, 0.015);
}

TEST(Pipeline, RepeatRunsBetweenLoAndHiTimes) {
  const auto runs =
      sample_runs(parse("- repeat: {times: [1, 3], steps: [{blur: {size: 3}}]}\n"), 3000);
  std::map<size_t, int> count;
  for (const auto& r : runs) count[r.size()]++;
  EXPECT_EQ(count.size(), 3u);
  for (size_t n = 1; n <= 3; ++n) EXPECT_NEAR(count[n] / 3000.0, 1.0 / 3, 0.03) << n;
}

// Nested repeats multiply: three repeats of 100 around one step were a million operators (and a
// million-step manifest record) per pair, minutes on a 48x40 image (fuzz_degrade_config). A
// pipeline may fire at most 1000 operators per pair; the error points at the repeat.
TEST(Pipeline, AtMostAThousandOperatorsPerPair) {
  const std::string nested =
      "- repeat: {times: 100, steps: [{repeat: {times: [1, 100], steps: [{noise: {}}]}}]}\n";
  try {
    parse(nested);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.yml:1:3: this repeat can fire up to 10000 operators"),
              std::string::npos)
        << e.what();
  }
  // Side by side they add up (100 + 100 x 10); a thousand is still fine (100 x 2 + 100 x 8).
  const std::string five = "{noise: {}}, {noise: {}}, {noise: {}}, {noise: {}}, {noise: {}}, ";
  EXPECT_THROW(parse("- repeat: {times: 100, steps: [{noise: {}}]}\n"
                     "- repeat: {times: [1, 100], steps: [" +
                     five + five + "]}\n"),
               ConfigError);
  EXPECT_NO_THROW(
      parse("- repeat: {times: 100, steps: [{noise: {}}, {blur: {}}]}\n"
            "- one_of: {steps: [{repeat: {times: 100, steps: [" +
            five + "{noise: {}}, {noise: {}}, {noise: {}}]}}, {noise: {}}]}\n"));
}

TEST(Pipeline, ShuffleVisitsEveryOrder) {
  const auto runs = sample_runs(
      parse("- shuffle: {steps: [{blur: {kernel: iso, size: 3}}, {blur: {kernel: box, size: 3}}, "
            "{blur: {kernel: disc, size: 3}}]}\n"),
      3000);
  std::map<std::string, int> orders;
  for (const auto& r : runs) {
    ASSERT_EQ(r.size(), 3u);
    orders[kernel_of(r[0]) + kernel_of(r[1]) + kernel_of(r[2])]++;
  }
  EXPECT_EQ(orders.size(), 6u);
  for (const auto& [order, n] : orders) EXPECT_NEAR(n / 3000.0, 1.0 / 6, 0.03) << order;
}

TEST(Pipeline, SameSeedSameRecordsAndPixels) {
  const Pipeline p = parse(
      "- blur: {p: 0.7, kernel: {choice: [iso, aniso]}, sigma_x: [0.2, 3], sigma_y: [0.2, 3]}\n"
      "- repeat: {times: [0, 2], steps: [{blur: {kernel: disc, radius: [1, 2]}}]}\n");
  for (uint64_t seed : {1u, 2u, 3u}) {
    Pair a = small_pair(), b = small_pair();
    a.lq = cv::Mat(32, 32, CV_32FC3);
    cv::randu(a.lq, 0, 1);
    b.lq = a.lq.clone();
    std::vector<StepRecord> ra, rb;
    Rng r1(seed), r2(seed);
    p.run(a, r1, ra);
    p.run(b, r2, rb);
    ASSERT_EQ(ra.size(), rb.size());
    for (size_t i = 0; i < ra.size(); ++i) {
      EXPECT_EQ(ra[i].seed, rb[i].seed);
      EXPECT_EQ(ra[i].values, rb[i].values);
    }
    EXPECT_EQ(cv::norm(a.lq, b.lq, cv::NORM_INF), 0.0);
  }
}

TEST(Pipeline, UndeclaredParametersTakeTableDefaults) {
  const auto runs = sample_runs(parse("- blur: {sigma_x: 2.5}\n"), 1);
  ASSERT_EQ(runs[0].size(), 1u);
  for (const auto& [k, v] : runs[0][0].values) {
    if (k == "sigma_x") EXPECT_EQ(std::get<double>(v), 2.5);
    if (k == "kernel") EXPECT_EQ(std::get<std::string>(v), "iso");
    if (k == "size") EXPECT_EQ(std::get<int64_t>(v), 21);
  }
}

}  // namespace
}  // namespace pf::degrade

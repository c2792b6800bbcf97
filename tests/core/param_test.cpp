#include "core/param.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/yaml_util.h"

namespace pf {
namespace {

struct P {
  double sigma;
  int size;
  bool gray;
  std::string kind;
};

const std::vector<Field<P>>& fields() {
  static const std::vector<Field<P>> t = {
      real<P>("sigma", &P::sigma, 1.5, 0, 50, "sigma"),
      integer<P>("size", &P::size, 7, 3, 21, "size", true),
      boolean<P>("gray", &P::gray, false, "gray"),
      choice<P>("kind", &P::kind, "iso", {"iso", "aniso"}, "kind"),
  };
  return t;
}

Distribution parse(const std::string& yaml, int index) {
  const YamlDoc doc = load_yaml_string(yaml, "test.yml");
  return Distribution::parse(doc.root, fields()[index].spec, doc.file);
}

std::string error_of(const std::string& yaml, int index) {
  try {
    parse(yaml, index);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Param, DefaultsComeFromTheTable) {
  const P p = bind_values(fields(), {});
  EXPECT_DOUBLE_EQ(p.sigma, 1.5);
  EXPECT_EQ(p.size, 7);
  EXPECT_FALSE(p.gray);
  EXPECT_EQ(p.kind, "iso");
}

TEST(Param, UniformRangeStaysInsideAndCoversIt) {
  const Distribution d = parse("[2, 4]", 0);
  Rng rng(1);
  double lo = 10, hi = 0;
  for (int i = 0; i < 10000; ++i) {
    const double v = std::get<double>(d.sample(rng, fields()[0].spec));
    lo = std::min(lo, v), hi = std::max(hi, v);
  }
  EXPECT_GE(lo, 2.0);
  EXPECT_LT(lo, 2.01);
  EXPECT_LE(hi, 4.0);
  EXPECT_GT(hi, 3.99);
}

TEST(Param, LogUniformMedianIsGeometricMean) {
  const Distribution d = parse("{log_uniform: [1, 16]}", 0);
  Rng rng(2);
  int below = 0;
  for (int i = 0; i < 20000; ++i) below += std::get<double>(d.sample(rng, fields()[0].spec)) < 4.0;
  EXPECT_NEAR(below / 20000.0, 0.5, 0.02);
}

TEST(Param, OddIntegerRangeSamplesOnlyOddValues) {
  const Distribution d = parse("[7, 21]", 1);
  Rng rng(3);
  std::vector<int> seen(22, 0);
  for (int i = 0; i < 8000; ++i) seen[std::get<int64_t>(d.sample(rng, fields()[1].spec))]++;
  for (int v = 0; v < 22; ++v) {
    if (v >= 7 && v % 2 == 1)
      EXPECT_NEAR(seen[v], 1000, 150) << v;
    else
      EXPECT_EQ(seen[v], 0) << v;
  }
}

TEST(Param, WeightedChoiceFollowsWeights) {
  const Distribution d = parse("{choice: [iso, aniso], weights: [0.7, 0.3]}", 3);
  Rng rng(4);
  int iso = 0;
  for (int i = 0; i < 20000; ++i)
    iso += std::get<std::string>(d.sample(rng, fields()[3].spec)) == "iso";
  EXPECT_NEAR(iso / 20000.0, 0.7, 0.015);
}

// A plain list of a non-numeric parameter is an equally weighted choice (`lbo: {weights: [a, b]}`
// is a pool of files), not a range.
TEST(Param, PlainListOfTextIsAnEvenChoice) {
  const Distribution d = parse("[iso, aniso]", 3);
  Rng rng(5);
  int iso = 0;
  for (int i = 0; i < 20000; ++i)
    iso += std::get<std::string>(d.sample(rng, fields()[3].spec)) == "iso";
  EXPECT_NEAR(iso / 20000.0, 0.5, 0.015);
}

TEST(Param, OutOfRangeNamesPlaceAndRange) {
  const std::string e = error_of("\n  60", 0);
  EXPECT_NE(e.find("test.yml:2:3"), std::string::npos) << e;
  EXPECT_NE(e.find("[0, 50]"), std::string::npos) << e;
}

TEST(Param, IntegersPastInt64AreOutOfRangeNotCast) {
  // fuzz_degrade_config's radius of 511111111111111111111111 was cast from a double to int64
  // (undefined behaviour) before the range check saw it.
  for (const char* big : {"511111111111111111111111", "-1e30", "[3, 1e300]", "1e19"}) {
    const std::string e = error_of(big, 1);
    EXPECT_NE(e.find("size = "), std::string::npos) << big << ": " << e;
    EXPECT_NE(e.find("is out of range odd in [3, 21]"), std::string::npos) << big << ": " << e;
  }
  EXPECT_EQ(parse("21", 1).upper_bound(), 21);
}

TEST(Param, EvenSizeRejected) {
  EXPECT_NE(error_of("8", 1).find("must be odd"), std::string::npos);
}

TEST(Param, UnknownChoiceSuggestsNearest) {
  const std::string e = error_of("anisoo", 3);
  EXPECT_NE(e.find("did you mean 'aniso'"), std::string::npos) << e;
}

TEST(Param, WrongTypeAndBadRanges) {
  EXPECT_NE(error_of("abc", 0).find("expected a number"), std::string::npos);
  EXPECT_NE(error_of("[4, 2]", 0).find("lo > hi"), std::string::npos);
  EXPECT_NE(error_of("{log_uniform: [0, 2]}", 0).find("lo > 0"), std::string::npos);
  EXPECT_NE(error_of("{choice: [iso, aniso], weights: [1]}", 3).find("one number per choice"),
            std::string::npos);
  EXPECT_NE(error_of("{unifrom: [1, 2]}", 0).find("did you mean 'uniform'"), std::string::npos);
}

TEST(Yaml, ClosestName) {
  EXPECT_EQ(closest_name("sigam", {"sigma", "size"}), "sigma");
  EXPECT_EQ(closest_name("zzzzzz", {"sigma", "size"}), "");
}

}  // namespace
}  // namespace pf

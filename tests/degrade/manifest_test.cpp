// The manifest reader behind --replay: records are inputs, checked field by field and parameter
// by parameter, so an edited or foreign manifest is an InputError naming file:line, never an
// operator run with a value its config parser refuses (fuzzer findings, tests/fuzz/regressions/
// manifest).
#include "degrade/manifest.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "degrade/pair_maker.h"
#include "test_util.h"

namespace pf::degrade {
namespace {

const std::string kRecord =
    R"({"alpha":"carry","crop":[0,0,8,6],"depth":8,"input_root":"/in","name":"a","scale":2,)"
    R"("seed":"7","source":"a.png","steps":[{"op":"noise","params":{"sigma":5},"seed":"3"},)"
    R"({"op":"resize","params":{"to_target":true},"seed":"4"}],"variant":0})";

PairRecord find(const std::string& manifest, const std::string& name = "a") {
  std::istringstream in(manifest);
  return find_in_manifest(in, "m.jsonl", name);
}

std::string error_of(const std::string& manifest) {
  try {
    find(manifest);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string with(const std::string& from, const std::string& to) {
  std::string r = kRecord;
  r.replace(r.find(from), from.size(), to);
  return r;
}

TEST(Manifest, AWellFormedRecordReplays) {
  const PairRecord r = find(kRecord);
  ASSERT_EQ(r.steps.size(), 2u);
  const auto out = replay_pair(r.steps, r.scale, r.alpha, r.background,
                               test::textured_image(8, 6, 1), cv::Mat());
  EXPECT_EQ(out.lq.size(), cv::Size(4, 3));
}

TEST(Manifest, OutOfRangeParametersAndFieldsAreInputErrors) {
  // A sigma the config parser refuses ([0, 255]) is refused here too.
  EXPECT_NE(error_of(with("\"sigma\":5", "\"sigma\":1e300"))
                .find("m.jsonl:1: malformed manifest "
                      "record: noise: sigma = "),
            std::string::npos);
  EXPECT_NE(error_of(with("\"scale\":2", "\"scale\":0")).find("scale 0 is not an integer in [1, 16]"),
            std::string::npos);
  EXPECT_NE(error_of(with("[0,0,8,6]", "[0,0,7,6]")).find("multiples of the scale"),
            std::string::npos);
  EXPECT_NE(error_of(with("\"depth\":8", "\"depth\":12")).find("depth must be 8 or 16"),
            std::string::npos);
  EXPECT_NE(error_of(with("\"op\":\"noise\"", "\"op\":\"nosie\"")).find("unknown operator"),
            std::string::npos);
  EXPECT_NE(error_of(with("\"sigma\":5", "\"sigma\":\"loud\"")).find("malformed manifest record"),
            std::string::npos);
}

TEST(Manifest, NumbersOutsideIntAreRefusedNotConverted) {
  // The fuzzer's crop of 3.2e84 was cast to int (undefined behaviour); 2^32 + 8 wrapped to 8.
  EXPECT_NE(error_of(with("[0,0,8,6]", "[0,0,8,3.2e84]"))
                .find("m.jsonl:1: malformed manifest record: crop height 3.2e+84 is not an "
                      "integer in [1, 2147483647]"),
            std::string::npos);
  EXPECT_NE(error_of(with("[0,0,8,6]", "[0,0,4294967304,6]")).find("crop width 4294967304"),
            std::string::npos);
  EXPECT_NE(error_of(with("\"variant\":0", "\"variant\":-1")).find("variant -1 is not"),
            std::string::npos);
  EXPECT_NE(error_of(with("\"scale\":2", "\"scale\":2.5")).find("scale 2.5 is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of(with("\"sigma\":5", "\"sigma\":18446744073709551615"))
                .find("noise: sigma = "),
            std::string::npos);
  // A crop whose far corner is past INT_MAX (the replay intersects it with the image).
  EXPECT_NE(error_of(with("[0,0,8,6]", "[2147483646,0,8,6]")).find("does not fit in an int"),
            std::string::npos);
}

TEST(Manifest, OtherRecordsOfAnyShapeDoNotStopTheSearch) {
  // Lines that are JSON but not records of this pair (an array, a number for a name) are skipped.
  EXPECT_EQ(find("[1, 2]\n{\"name\": 5}\n" + kRecord + "\n").name, "a");
  EXPECT_NE(error_of("{\"name\": 5}\n").find("no pair named 'a'"), std::string::npos);
}

TEST(Manifest, StepsThatMissTheTargetSizeAreTheManifestsFault) {
  // Without its recorded final resize the chain leaves LQ at the HQ size.
  const std::string cut = with(R"(,{"op":"resize","params":{"to_target":true},"seed":"4"})", "");
  const PairRecord r = find(cut);
  try {
    replay_pair(r.steps, r.scale, r.alpha, r.background, test::textured_image(8, 6, 1), cv::Mat());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("leave LQ at 8x6, not HQ / scale = 4x3"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pf::degrade

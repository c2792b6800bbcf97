// Hostile inputs to the pair writer and the manifest reader (issue 25): names that lead out of
// the output folder, records of the wrong shape, items that must be skipped, not end the batch.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/safe_name.h"
#include "degrade/job.h"
#include "degrade/manifest.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf::degrade {
namespace {

const std::string kRecord =
    R"({"alpha":"carry","crop":[0,0,8,6],"depth":8,"input_root":"/in","name":"a","scale":2,)"
    R"("seed":"7","source":"a.png","steps":[{"op":"noise","params":{"sigma":5},"seed":"3"}],)"
    R"("variant":0})";

std::string with(const std::string& from, const std::string& to) {
  std::string r = kRecord;
  r.replace(r.find(from), from.size(), to);
  return r;
}

std::string error_of(const std::string& manifest, const std::string& name) {
  std::istringstream in(manifest);
  try {
    find_in_manifest(in, "m.jsonl", name);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(HostileManifest, NamesThatLeaveTheOutputFolderAreRefused) {
  for (const std::string& name :
       {"../../x", "/tmp/x", "a/../../x", "..", ".", "a//b", "a\\\\..\\\\b", "./a", "a/", ""}) {
    std::string record = with("\"name\":\"a\"", "\"name\":\"" + name + "\"");
    std::string unescaped = name;  // the JSON text doubles backslashes
    for (size_t p; (p = unescaped.find("\\\\")) != std::string::npos;)
      unescaped.replace(p, 2, "\\");
    const std::string m = error_of(record, unescaped);
    EXPECT_NE(m.find("would write outside the output folder"), std::string::npos)
        << name << ": " << m;
    EXPECT_EQ(m.rfind("m.jsonl:1:", 0), 0u) << m;
  }
  EXPECT_TRUE(is_contained_name("sub/dir/a_v1"));
  EXPECT_TRUE(is_contained_name("..a/b..c"));
}

TEST(HostileManifest, ParamsAndStepsOfTheWrongShapeAreErrors) {
  EXPECT_NE(error_of(with("{\"sigma\":5}", "[1,2]"), "a").find("params is not an object"),
            std::string::npos);
  const std::string steps = R"([{"op":"noise","params":{"sigma":5},"seed":"3"}])";
  EXPECT_NE(error_of(with(steps, "{\"op\":\"noise\"}"), "a").find("steps is not a list"),
            std::string::npos);
  // Not an object at all: skipped while searching, and the search names the pair.
  EXPECT_NE(error_of("[1,2]\n", "a").find("no pair named 'a'"), std::string::npos);
}

TEST(HostileManifest, NonUtf8NamesRoundTripLosslessly) {
  PairRecord r;
  r.name = "sub/caf\xe9_v0";  // Latin-1, not UTF-8
  r.source = "sub/caf\xe9.png";
  r.input_root = "/in/\xff\xfe";
  r.crop = cv::Rect(0, 0, 4, 4);
  const std::string line = to_json(r).dump();  // would throw type_error.316 unescaped
  EXPECT_NE(line.find(R"("name":"sub/caf\\xe9_v0")"), std::string::npos) << line;
  const PairRecord back = pair_record_from_json(nlohmann::json::parse(line), "m");
  EXPECT_EQ(back.name, r.name);
  EXPECT_EQ(back.source, r.source);
  EXPECT_EQ(back.input_root, r.input_root);
  // --pair finds it by its bytes or by the escaped form shown in the manifest.
  std::istringstream in(line + "\n");
  EXPECT_EQ(find_in_manifest(in, "m", r.name).source, r.source);
  std::istringstream in2(line + "\n");
  EXPECT_EQ(find_in_manifest(in2, "m", "sub/caf\\xe9_v0").source, r.source);
}

TEST(HostileManifest, AFifoOrDeviceIsRefusedNamingIt) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "m.jsonl").c_str(), 0600), 0);
  for (const std::string& path : {dir / "m.jsonl", std::string("/dev/zero"), dir.path()}) {
    try {
      find_in_manifest(path, "a");
      ADD_FAILURE() << path;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("manifest '" + path + "'"), std::string::npos)
          << e.what();
    }
  }
}

DegradeConfig config_of(const std::string& yaml) {
  return DegradeConfig::parse(load_yaml_string(yaml, "job.yml"));
}

JobSummary run(const DegradeConfig& c, const std::string& in, const std::string& out) {
  clear_interrupt();
  JobOptions o;
  o.input = in, o.output = out, o.threads = 2;
  return run_degrade_job(c, o);
}

TEST(HostileJob, BadItemsAreSkippedNamedAndCounted) {
  test::TempDir dir;
  fs::create_directories(dir / "in/sub");
  test::write_png(dir / "in/good.png", test::textured_image(16, 12, 1));
  test::write_png(dir / "in/tiny.png", test::textured_image(1, 1, 2));           // < scale
  test::write_png(dir / "in/sub/caf\xe9.png", test::textured_image(16, 12, 3));  // not UTF-8
  fs::create_symlink("loop", dir / "in/loop");                                   // ELOOP
  fs::create_symlink("loop.png", dir / "in/loop.png");
  fs::create_symlink(dir / "in/loop.png", dir / "in/loop2.png");
  const auto c = config_of("scale: 2\npipeline:\n  - resize: {to_target: true}\n");
  const JobSummary s = run(c, dir / "in", dir / "out");
  EXPECT_EQ(s.pairs_written, 2);  // good and café
  EXPECT_GE(s.unreadable, 3);     // tiny, the loops
  EXPECT_TRUE(fs::exists(dir / "out/lq/sub/caf\xe9.png"));
  // Every written pair has its record, the non-UTF-8 one losslessly.
  std::ifstream m(dir / "out/manifest.jsonl");
  std::string line;
  std::vector<std::string> names;
  while (std::getline(m, line))
    names.push_back(pair_record_from_json(nlohmann::json::parse(line), "m").name);
  EXPECT_EQ(names, (std::vector<std::string>{"good", "sub/caf\xe9"}));
}

}  // namespace
}  // namespace pf::degrade

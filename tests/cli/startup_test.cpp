// pairforge without LibTorch (issue 13): the binary that runs `degrade`, `frames`, `ops` and
// `--help` loads no LibTorch, and the model commands still work through pairforge-torch, with
// their own help, errors and exit codes.
#include <gtest/gtest.h>

#include <string>

#include "cli/cli_util.h"

namespace pf {
namespace {

using test::run_pairforge;

const char* const kTorchCommands[] = {"inspect",  "convert", "upscale", "export",
                                      "validate", "train",   "plot"};

bool has_model_commands() {
  return run_pairforge("upscale --help").code == 0;
}

// What the dynamic loader would load for the binary (ldd's way): no LibTorch, no c10, no
// OpenCV dnn (whose protobuf the engine never needs).
TEST(Startup, TheBinaryLoadsNoLibTorch) {
  const std::string cmd = std::string("LD_TRACE_LOADED_OBJECTS=1 ") + PAIRFORGE_BINARY;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string libs;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) libs.append(buf, n);
  ::pclose(p);
  ASSERT_NE(libs.find("libc.so"), std::string::npos) << libs;
  EXPECT_EQ(libs.find("libtorch"), std::string::npos) << libs;
  EXPECT_EQ(libs.find("libc10"), std::string::npos) << libs;
  EXPECT_EQ(libs.find("libopencv_dnn"), std::string::npos) << libs;
}

TEST(Startup, HelpListsEveryCommand) {
  const test::CliResult r = run_pairforge("--help");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* c : {"ops", "degrade", "frames", "compare", "report"})
    EXPECT_NE(r.output.find(c), std::string::npos) << c;
  if (!has_model_commands()) GTEST_SKIP() << "built without LibTorch";
  for (const char* c : kTorchCommands) EXPECT_NE(r.output.find(c), std::string::npos) << c;
}

// The model commands reach pairforge-torch: their own --help, their own usage errors (2) and
// input errors (4), exactly as when one binary had everything.
TEST(Startup, ModelCommandsRunInTheLibTorchBinary) {
  if (!has_model_commands()) GTEST_SKIP() << "built without LibTorch";
  const test::CliResult help = run_pairforge("upscale --help");
  EXPECT_NE(help.output.find("--model"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--tile"), std::string::npos) << help.output;
  EXPECT_EQ(run_pairforge("inspect").code, 2);
  const test::CliResult missing = run_pairforge("inspect /nonexistent/model.safetensors");
  EXPECT_EQ(missing.code, 4) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/model.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace pf

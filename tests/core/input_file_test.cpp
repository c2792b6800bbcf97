#include "core/input_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>

#include "core/error.h"
#include "temp_dir.h"

namespace pf {
namespace {

std::string message_of(const std::function<void()>& f, ExitCode* code = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "";
}

TEST(InputFile, ReadsARegularFileWhole) {
  test::TempDir dir;
  std::ofstream(dir / "a.yml") << "key: value\n";
  EXPECT_EQ(read_file_capped(dir / "a.yml", 100, "config"), "key: value\n");
  EXPECT_NO_THROW(require_regular_file(dir / "a.yml", "config"));
}

TEST(InputFile, RefusesADirectoryNamingIt) {
  test::TempDir dir;
  ExitCode code{};
  const std::string m = message_of([&] { read_file_capped(dir.path(), 100, "config"); }, &code);
  EXPECT_NE(m.find("config '" + dir.path() + "' is a directory"), std::string::npos) << m;
  EXPECT_EQ(code, ExitCode::kInput);
  EXPECT_NE(message_of([&] { require_regular_file(dir.path(), "model"); }).find("directory"),
            std::string::npos);
}

TEST(InputFile, RefusesAFifoWithoutBlocking) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  const std::string m = message_of([&] { read_file_capped(dir / "pipe", 100, "manifest"); });
  EXPECT_NE(m.find("FIFO"), std::string::npos) << m;
  EXPECT_NE(m.find(dir / "pipe"), std::string::npos) << m;
  EXPECT_NE(message_of([&] { require_regular_file(dir / "pipe", "font"); }).find("FIFO"),
            std::string::npos);
}

TEST(InputFile, RefusesDevices) {
  const std::string m = message_of([] { read_file_capped("/dev/zero", 100, "model"); });
  EXPECT_NE(m.find("'/dev/zero' is a character device"), std::string::npos) << m;
  EXPECT_NE(message_of([] { require_regular_file("/dev/urandom", "config"); }).find("device"),
            std::string::npos);
}

TEST(InputFile, CapsTheSize) {
  test::TempDir dir;
  std::ofstream(dir / "big") << std::string(101, 'x');
  const std::string m = message_of([&] { read_file_capped(dir / "big", 100, "manifest"); });
  EXPECT_NE(m.find("101 bytes, more than the 100 allowed"), std::string::npos) << m;
  EXPECT_EQ(read_file_capped(dir / "big", 101, "manifest").size(), 101u);
}

TEST(InputFile, MissingFileNamesIt) {
  ExitCode code{};
  const std::string m =
      message_of([] { require_regular_file("/nonexistent/x.pth", "model"); }, &code);
  EXPECT_NE(m.find("'/nonexistent/x.pth'"), std::string::npos) << m;
  EXPECT_EQ(code, ExitCode::kInput);
}

}  // namespace
}  // namespace pf

// train_log.jsonl under a write that fails part-way (a full disk): the failed record is undone,
// so the file keeps whole lines only.
#include "train/train_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "train_test_util.h"

namespace fs = std::filesystem;

TEST(TrainLog, AWriteCutShortLeavesNoTornLine) {
  pf::test::TrainTempDir dir;
  const std::string path = dir / "train_log.jsonl";
  pf::train::TrainLog log(path, 0);
  log.write({{"event", "train"}, {"iter", 1}});
  const auto whole = fs::file_size(path);
  // A file size limit makes the next write stop part-way, as a full disk does (EFBIG instead of
  // ENOSPC; SIGXFSZ ignored so the process lives).
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = whole + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_THROW(log.write({{"event", "train"}, {"iter", 2}, {"losses", {{"l1loss", 0.25}}}}),
               pf::IoError);
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(fs::file_size(path), whole);
  log.write({{"event", "train"}, {"iter", 3}});
  const auto records = pf::train::read_train_log(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["iter"], 3);
}

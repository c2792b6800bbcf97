// Video decoding through the io layer (libavformat/libavcodec/libswscale), as `degrade` and
// `frames` read video inputs: the fuzzed bytes are a file (mkv, mp4, webm, ...; found by its
// content) whose frames are read with their lookahead, with one of three frame selections.
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_target.h"
#include "io/video_reader.h"

PF_FUZZ_TARGET(video) {
  // The reader opens a path: one file per process, in memory-backed /dev/shm when there is one.
  static const std::string path =
      (access("/dev/shm", W_OK) == 0 ? std::string("/dev/shm") : std::string("/tmp")) +
      "/pf_fuzz_video_" + std::to_string(getpid()) + ".mkv";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  pf::io::FrameSelection sel;
  if (size % 3 == 1) sel.scene_threshold = 0.05;
  if (size % 3 == 2) sel.dedup_distance = 4, sel.every = 2;
  try {
    pf::io::VideoReader reader(path, sel);
    pf::io::VideoFrame frame;
    std::vector<cv::Mat> following;
    int64_t last = -1;
    for (int n = 0; n < 16 && reader.next(frame, &following, 2); ++n) {
      PF_FUZZ_ASSERT(frame.rgb.type() == CV_32FC3 && !frame.rgb.empty());
      PF_FUZZ_ASSERT(frame.index > last);  // frame numbers strictly increase
      last = frame.index;
      for (const cv::Mat& f : following) PF_FUZZ_ASSERT(f.type() == CV_32FC3);
    }
    if (last >= 0) pf::fuzz::accepted();
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

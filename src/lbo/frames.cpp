#include "lbo/frames.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "io/image.h"
#include "io/video_reader.h"

namespace fs = std::filesystem;

namespace pf::lbo {

std::vector<NamedFrame> read_frames(const std::string& input, const FrameOptions& o) {
  std::vector<NamedFrame> frames;
  std::error_code ec;
  if (fs::is_directory(input, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(input, ec))
      if (e.is_regular_file(ec) && io::is_image_file(e.path().string())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i < files.size() && static_cast<int64_t>(frames.size()) < o.max_frames;
         i += static_cast<size_t>(std::max<int64_t>(1, o.every))) {
      io::Image img = io::read_image(files[i].string());
      if (!img.alpha.empty())
        spdlog::warn("{}: alpha channel ignored (the LBO learns RGB)", files[i].string());
      frames.push_back({files[i].stem().string(), img.rgb});
    }
    if (frames.empty()) throw InputError("LBO input folder '" + input + "' holds no image");
    return frames;
  }
  if (!fs::exists(input, ec)) throw InputError("LBO input '" + input + "' does not exist");
  if (!io::is_video_file(input))
    throw InputError("LBO input '" + input + "' is neither a folder of frames nor a video");
  io::FrameSelection sel;
  sel.every = static_cast<int>(std::max<int64_t>(1, o.every));
  sel.start_s = o.start_s;
  sel.end_s = o.end_s;
  io::VideoReader reader(input, sel);
  io::VideoFrame frame;
  while (static_cast<int64_t>(frames.size()) < o.max_frames && reader.next(frame))
    frames.push_back({io::frame_name(input, frame.index), frame.rgb});
  if (reader.warnings() > 0)
    spdlog::warn("{}: {} decode errors; using the {} frames that decoded", input, reader.warnings(),
                 frames.size());
  if (frames.empty()) throw InputError("no frame of '" + input + "' decodes");
  return frames;
}

}  // namespace pf::lbo

#include "degrade/explain.h"

#include <fmt/format.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "degrade/pair_maker.h"
#include "degrade/registry.h"
#include "io/image.h"

namespace pf::degrade {

namespace {

constexpr int kColumns = 4;
constexpr int kCellWidth = 384;
// A tall strip is shown in a cell at most this high (narrower, same aspect): the sheet's size
// stays that of a few screens whatever the image's shape (a 3x100000 strip asked for 88 GB).
constexpr int kMaxCellHeight = 2 * kCellWidth;
constexpr int kLineHeight = 14;
constexpr double kFontScale = 0.4;

struct Panel {
  cv::Mat image;
  std::vector<std::string> lines;
};

std::vector<std::string> wrap(const std::string& title, const OpInfo* info, const Values& values) {
  std::vector<std::string> lines = {title};
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [name, value] = values[i];
    if (info && i < info->params.size() && !is_relevant(info->params[i], values)) continue;
    // Files are stored as absolute paths; their names are what tells panels apart.
    const bool file = info && i < info->params.size() && info->params[i].file;
    const std::string shown =
        file ? std::filesystem::path(value_to_string(value)).filename().string()
             : value_to_string(value);
    const std::string item = name + "=" + shown;
    const std::string longer = line + " " + item;
    int baseline = 0;
    const int width =
        cv::getTextSize(longer, cv::FONT_HERSHEY_SIMPLEX, kFontScale, 1, &baseline).width;
    if (!line.empty() && width > kCellWidth) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + item;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The HQ's display size: kCellWidth wide, or kMaxCellHeight high for a tall image.
cv::Size cell_size(cv::Size hq) {
  const int64_t height = int64_t{kCellWidth} * hq.height / hq.width;
  if (height <= kMaxCellHeight) return {kCellWidth, static_cast<int>(std::max<int64_t>(1, height))};
  const int64_t width = int64_t{kMaxCellHeight} * hq.width / hq.height;
  return {static_cast<int>(std::max<int64_t>(1, width)), kMaxCellHeight};
}

// Every panel is shown at the HQ's display size (nearest-neighbour), so sizes are comparable
// and LQ pixels stay visible.
cv::Mat fit(const cv::Mat& img, cv::Size cell) {
  cv::Mat out;
  cv::resize(img, out, cell, 0, 0, cv::INTER_NEAREST);
  return out;
}

}  // namespace

cv::Mat explain_sheet(const DegradeConfig& config, const std::string& image_path, uint64_t seed) {
  const io::Image img = io::read_image(image_path);
  const cv::Rect crop = crop_to_multiple(img.rgb.size(), config.scale);
  const cv::Mat hq = img.rgb(crop);
  const cv::Mat alpha = img.alpha.empty() ? cv::Mat() : img.alpha(crop);
  if (hq.empty())
    throw InputError("image '" + image_path + "' (" + std::to_string(img.rgb.cols) + "x" +
                     std::to_string(img.rgb.rows) + ") is smaller than the scale " +
                     std::to_string(config.scale));
  const cv::Size cell = cell_size(hq.size());

  std::vector<Panel> panels;
  panels.push_back({fit(hq, cell), {"source HQ", fmt::format("{}x{}", hq.cols, hq.rows)}});
  int index = 0;
  PairOutput out;
  try {
    out = make_pair(config, hq, alpha, seed, {}, [&](const StepRecord& r, const Pair& p) {
      auto lines = wrap(fmt::format("{}. {}  ({}x{})", ++index, r.op, p.lq.cols, p.lq.rows),
                        find_op(r.op), r.values);
      panels.push_back({fit(p.lq, cell), std::move(lines)});
    });
  } catch (const Error& e) {
    // An operator that cannot take this image (JPEG past 65500 px, say) is the image's problem,
    // as in a batch job, where such an image is skipped: name it.
    if (e.code() != ExitCode::kFailure) throw;
    throw InputError("image '" + image_path + "': " + e.what());
  } catch (const cv::Exception& e) {
    throw InputError("image '" + image_path + "': " + e.what());
  }
  panels.push_back({fit(out.hq, cell), {"HQ target (as written)"}});

  size_t max_lines = 0;
  for (const auto& p : panels) max_lines = std::max(max_lines, p.lines.size());
  const int text_h = static_cast<int>(max_lines) * kLineHeight + 8;
  const int rows = (static_cast<int>(panels.size()) + kColumns - 1) / kColumns;
  const int pad = 8;
  const int column = std::max(cell.width, kCellWidth);  // the captions are kCellWidth wide
  cv::Mat sheet(rows * (cell.height + text_h + pad) + pad, kColumns * (column + pad) + pad,
                CV_32FC3, cv::Scalar::all(1));
  for (size_t i = 0; i < panels.size(); ++i) {
    const int x = pad + static_cast<int>(i % kColumns) * (column + pad);
    const int y = pad + static_cast<int>(i / kColumns) * (cell.height + text_h + pad);
    panels[i].image.copyTo(sheet(cv::Rect(x, y, cell.width, cell.height)));
    for (size_t l = 0; l < panels[i].lines.size(); ++l)
      cv::putText(sheet, panels[i].lines[l],
                  cv::Point(x, y + cell.height + kLineHeight * static_cast<int>(l + 1)),
                  cv::FONT_HERSHEY_SIMPLEX, kFontScale, cv::Scalar::all(0), 1, cv::LINE_AA);
  }
  return sheet;
}

}  // namespace pf::degrade

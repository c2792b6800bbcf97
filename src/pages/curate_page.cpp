#include "pages/curate_page.h"

#include <filesystem>

#include "io/image.h"
#include "pages/page_util.h"

namespace pf::pages {

std::string write_curate_page(const std::string& dir, const std::string& title,
                              const std::vector<ScoreColumn>& columns, const nlohmann::json& rows) {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : columns)
    cols.push_back({{"name", c.name}, {"help", c.help}, {"threshold", c.threshold}});
  const nlohmann::json data = {{"title", title}, {"columns", cols}, {"rows", rows}};
  const std::string html = fill_template(
      page_asset("curate.html"), {{"title", html_escape(title)}, {"data", script_json(data)}});
  const std::string path = (std::filesystem::path(dir) / "index.html").string();
  io::write_file_atomic(path, html);
  return path;
}

}  // namespace pf::pages

// The curation page of `pairforge curate`: every image or tile as a thumbnail with its scores, in
// a table sortable by each score, the rejected ones with why. Written as OUT/index.html beside
// the thumbnails curate made (OUT/thumbs/); opens from file:// with no network.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pf::pages {

struct ScoreColumn {
  std::string name, help;
  std::string threshold;  // "≥ 2", "≤ 1.5", "" (reported only)
};

// `rows`: scores.jsonl's records (prep/curate.h), whose "thumb" is relative to `dir`. Returns the
// page's path.
std::string write_curate_page(const std::string& dir, const std::string& title,
                              const std::vector<ScoreColumn>& columns, const nlohmann::json& rows);

}  // namespace pf::pages

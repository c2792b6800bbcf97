// What the HTML pages share: the embedded assets, templates, JSON inside <script>, and putting
// image files into a page folder.
#pragma once
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pf::pages {

// An asset embedded at build time (cmake/EmbedPageAssets.cmake): a file of src/pages/assets by
// its name, or "uplot.js", "uplot.css", "uplot.license" from tools/node_modules/uplot. Empty
// when it was missing at build time.
std::string_view page_asset(std::string_view name);

// `text` with every {{key}} replaced by values.at(key). A {{key}} without a value is an internal
// error (the templates and their callers disagree).
std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values);

// Text for HTML content and attribute values (&, <, >, " and ' escaped).
std::string html_escape(std::string_view text);

// JSON that is safe inside <script>: '<' is written as \u003c, so no "</script>" or "<!--" can
// end or confuse the element.
std::string script_json(const nlohmann::json& value);

// A file name made of [A-Za-z0-9._-] only; names that had other characters get a short hash of
// the original, so two names never map to one.
std::string safe_file_name(const std::string& name);

// Puts `from` at `to` (creating folders): a hard link where the file system allows, else a copy
// through a temp file and a rename. Does nothing when `to` already is an identical-size file at
// least as new as `from`, so regenerating a page costs nothing for images it already has.
void place_file(const std::filesystem::path& from, const std::filesystem::path& to);

// Browsers show these as they are; other image files are re-encoded to PNG for a page.
bool browser_shows(const std::filesystem::path& file);

}  // namespace pf::pages

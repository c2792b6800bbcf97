#include "pages/page_util.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/error.h"
#include "io/image.h"

namespace fs = std::filesystem;

namespace pf::pages {

std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const size_t close = text.find("}}", open);
    if (close == std::string_view::npos) break;
    const std::string key(text.substr(open + 2, close - open - 2));
    const auto it = values.find(key);
    if (it == values.end()) throw Error("page template: no value for {{" + key + "}}");
    out.append(text.substr(pos, open - pos));
    out += it->second;
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string script_json(const nlohmann::json& value) {
  // Invalid UTF-8 in a file name must not abort the page: it is replaced, not thrown.
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

std::string safe_file_name(const std::string& name) {
  std::string out = name;
  bool changed = out.empty();
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      c = '_', changed = true;
  if (out.front() == '.') out.front() = '_', changed = true;  // no hidden files, no ".."
  if (!changed) return out;
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : name) hash = (hash ^ c) * 16777619u;
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "-%08x", hash);
  return out + suffix;
}

void place_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  const auto from_size = fs::file_size(from, ec);
  if (ec) throw InputError(from.string() + ": cannot read (" + ec.message() + ")");
  if (fs::exists(to, ec) && fs::file_size(to, ec) == from_size &&
      fs::last_write_time(to, ec) >= fs::last_write_time(from, ec) && !ec)
    return;
  fs::create_directories(to.parent_path(), ec);
  if (ec) throw IoError(to.parent_path().string() + ": cannot create (" + ec.message() + ")");
  fs::remove(to, ec);
  if (fs::create_hard_link(from, to, ec); !ec) return;
  std::ifstream in(from, std::ios::binary);
  if (!in) throw InputError(from.string() + ": cannot read");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  io::write_file_atomic(to.string(), bytes);
}

bool browser_shows(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  static const char* kExts[] = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

}  // namespace pf::pages

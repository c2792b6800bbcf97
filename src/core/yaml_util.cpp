#include "core/yaml_util.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "core/input_file.h"

namespace pf {

namespace {

// A config expands to at most this many nodes once aliases are followed: far beyond any real
// config, far below what an alias bomb (a few lines doubling at each level) would grow to.
constexpr size_t kMaxExpandedNodes = 1'000'000;

struct Checker {
  const std::string& file;
  // Expanded size of the collections already walked, by their position in the text: an alias
  // resolves to the anchored node itself (same position), so each one is walked once.
  std::unordered_map<size_t, size_t> sizes;

  size_t walk(const YAML::Node& node) {
    if (!node.IsMap() && !node.IsSequence()) return 1;
    const YAML::Mark m = node.Mark();
    const size_t key = static_cast<size_t>(m.pos) * 2 + (node.IsMap() ? 1 : 0);
    if (!m.is_null()) {
      auto it = sizes.find(key);
      if (it != sizes.end()) return it->second;
    }
    size_t n = 1;
    if (node.IsMap()) {
      std::unordered_map<std::string, YAML::Mark> seen;
      for (const auto& kv : node) {
        if (kv.first.IsScalar()) {
          auto [it, fresh] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
          if (!fresh)
            yaml_fail(file, kv.first,
                      "duplicate key '" + kv.first.Scalar() + "' (first at line " +
                          std::to_string(it->second.line + 1) + ", column " +
                          std::to_string(it->second.column + 1) + ")");
        }
        n = add(n, walk(kv.first), kv.first);
        n = add(n, walk(kv.second), kv.second);
      }
    } else if (node.IsSequence()) {
      for (const auto& item : node) n = add(n, walk(item), item);
    }
    if (!m.is_null()) sizes.emplace(key, n);
    return n;
  }

  size_t add(size_t n, size_t more, const YAML::Node& where) {
    if (more > kMaxExpandedNodes - n)
      yaml_fail(file, where,
                "the document expands to more than " + std::to_string(kMaxExpandedNodes) +
                    " nodes once its aliases are followed (an alias bomb?)");
    return n + more;
  }
};

// One document, no duplicate keys, a bounded size once aliases are expanded.
// Counts the parser's events without building nodes. yaml-cpp 0.7 can emit events without end on
// some malformed flow collections (a fuzzed 6 KB config made it build nodes past 4 GB), so the
// events are counted first, and the text refused, before any node is built.
class EventBudget : public YAML::EventHandler {
 public:
  explicit EventBudget(size_t limit) : limit_(limit) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    count(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnMapEnd() override {}
  struct Exceeded {
    YAML::Mark mark;
  };

 private:
  void count(const YAML::Mark& m) {
    if (++events_ > limit_) throw Exceeded{m};
  }
  size_t limit_, events_ = 0;
};

YAML::Node checked_document(const std::string& text, const std::string& name) {
  std::vector<YAML::Node> docs;
  try {
    // A node takes at least one character of text, or two of a flow collection's punctuation;
    // the slack covers implicit nulls.
    EventBudget budget(2 * text.size() + 1024);
    std::istringstream in(text);
    YAML::Parser parser(in);
    try {
      while (parser.HandleNextDocument(budget)) {
      }
    } catch (const EventBudget::Exceeded& e) {
      throw ConfigError(name, e.mark.line + 1, e.mark.column + 1,
                        "the YAML parser produces more nodes than the text can hold (malformed "
                        "flow collection?)");
    }
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(name, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  // A trailing "---" with nothing after it is harmless; a second document with content would
  // be silently ignored, so it is an error.
  for (size_t i = 1; i < docs.size(); ++i)
    if (!docs[i].IsNull())
      yaml_fail(name, docs[i], "a second YAML document starts here; a config is one document");
  if (docs.empty()) return YAML::Node();
  Checker{name, {}}.walk(docs[0]);
  return docs[0];
}

}  // namespace

YamlDoc load_yaml_file(const std::string& path) {
  return {path, checked_document(read_file_capped(path, kMaxConfigBytes, "config"), path)};
}

YamlDoc load_yaml_string(const std::string& text, const std::string& name) {
  return {name, checked_document(text, name)};
}

std::string yaml_where(const std::string& file, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void yaml_fail(const std::string& file, const YAML::Node& node, const std::string& message) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) throw ConfigError(file + ": " + message);
  throw ConfigError(file, m.line + 1, m.column + 1, message);
}

double yaml_double(const std::string& file, const YAML::Node& node) {
  double v = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, v) || !std::isfinite(v))
    yaml_fail(file, node,
              "expected a number, got '" + (node.IsScalar() ? node.Scalar() : "?") + "'");
  return v;
}

int64_t yaml_int(const std::string& file, const YAML::Node& node) {
  int64_t v = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, v))
    yaml_fail(file, node,
              "expected an integer, got '" + (node.IsScalar() ? node.Scalar() : "?") + "'");
  return v;
}

bool yaml_bool(const std::string& file, const YAML::Node& node) {
  bool v = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v))
    yaml_fail(file, node,
              "expected true or false, got '" + (node.IsScalar() ? node.Scalar() : "?") + "'");
  return v;
}

std::string yaml_string(const std::string& file, const YAML::Node& node) {
  if (!node.IsScalar()) yaml_fail(file, node, "expected a string");
  return node.Scalar();
}

void yaml_check_keys(const std::string& file, const YAML::Node& map,
                     const std::vector<std::string>& allowed, const std::string& what) {
  if (!map.IsMap()) yaml_fail(file, map, what + " must be a mapping");
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key '" + key + "' in " + what;
    const std::string near = closest_name(key, allowed);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    std::string all;
    for (const auto& a : allowed) all += (all.empty() ? "" : ", ") + a;
    msg += "; valid keys: " + all;
    yaml_fail(file, kv.first, msg);
  }
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Only suggest when at most about a third of the letters differ.
  if (best_d > std::max<size_t>(2, name.size() / 3)) return "";
  return best;
}

}  // namespace pf

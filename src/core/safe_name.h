// Names read from files (a manifest's pair name, a config's run name) that become part of an
// output path. Such a name must stay inside the folder it is joined to: a relative path without
// "..", "." or empty parts, no absolute path, no backslash or control character.
#pragma once
#include <string>

namespace pf {

// True when `name` is a relative path ('/'-separated parts) that cannot leave its folder.
bool is_contained_name(const std::string& name);

// Throws InputError "<what> '<name>' ... would write outside the output folder" otherwise.
void require_contained_name(const std::string& name, const std::string& what);

// True when `text` is valid UTF-8 (what JSON writers accept).
bool is_valid_utf8(const std::string& text);
// `text` for people: invalid UTF-8 bytes written as \xNN (not reversible on its own).
std::string escape_invalid_utf8(const std::string& text);
// Lossless byte <-> hex text, for names that are not UTF-8.
std::string to_hex(const std::string& bytes);
// Throws InputError naming `what` on anything but an even number of hex digits.
std::string from_hex(const std::string& hex, const std::string& what);

}  // namespace pf

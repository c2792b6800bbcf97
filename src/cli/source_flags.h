// The disc-source flags (--fields, --hdr, --tonemap..., --crop, --sar) of every command that
// reads videos, declared once; their values parse with io/source_options.h as the `video:` keys
// of a degrade config do.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "io/source_options.h"

namespace pf::cli {

struct SourceFlags {
  std::string fields = "auto", hdr = "auto", crop = "auto", sar = "keep";
  io::SourceOptions options;  // the numeric ones land here directly

  void add_to(CLI::App* cmd);
  // Throws pf::Error (usage) naming the flag and the valid values.
  io::SourceOptions parse() const;
};

}  // namespace pf::cli

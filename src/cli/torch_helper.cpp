#include "cli/torch_helper.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

int g_argc = 0;
char** g_argv = nullptr;

// The first word that is not an option: the only top-level options (--help, --version) take
// no value, so it is the subcommand.
const char* command_name(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') return argv[i];
  return nullptr;
}

}  // namespace

const char* torch_command_description(std::string_view name) {
  for (const auto& c : kTorchCommands)
    if (name == c.name) return c.description;
  return "";
}

void remember_command_line(int argc, char** argv) {
  g_argc = argc;
  g_argv = argv;
}

bool names_torch_command(int argc, char** argv) {
  const char* name = command_name(argc, argv);
  if (name == nullptr) return false;
  for (const auto& c : kTorchCommands)
    if (std::string_view(name) == c.name) return true;
  return false;
}

void exec_torch_helper(std::string_view why) {
#ifdef PAIRFORGE_TORCH_HELPER
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path helper = self.parent_path() / PAIRFORGE_TORCH_HELPER;
  if (ec || g_argv == nullptr || !fs::exists(helper))
    throw Error(std::string(why) + " needs LibTorch, which is in " + helper.string() +
                ": not found (build the " PAIRFORGE_TORCH_HELPER " target beside pairforge)");
  // argv[0] stays as the user typed it, so usage lines keep saying `pairforge`.
  execv(helper.c_str(), g_argv);
  throw Error(helper.string() + ": cannot start: " + std::strerror(errno));
#else
  throw Error(std::string(why) + " needs LibTorch, and this pairforge was built without it");
#endif
}

void register_torch_forwarders(CLI::App& app) {
  for (const auto& c : kTorchCommands) {
    auto* cmd = app.add_subcommand(c.name, c.description);
    // Everything after the name is the helper's to parse, --help included.
    cmd->prefix_command()->allow_extras()->set_help_flag();
    const std::string name = c.name;
    cmd->callback([name] { exec_torch_helper("`pairforge " + name + "`"); });
  }
}

}  // namespace pf::cli

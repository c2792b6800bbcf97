// Running the pairforge binary from the CLI tests: exit code and combined output.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace pf::test {

struct CliResult {
  int code;
  std::string output;
};

// Runs `pairforge ARGS` (through the shell, in `cwd` when given) and collects stdout + stderr.
inline CliResult run_pairforge(const std::string& args, const std::string& cwd = "") {
  const std::string cmd = (cwd.empty() ? "" : "cd '" + cwd + "' && ") +
                          std::string(PAIRFORGE_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace pf::test

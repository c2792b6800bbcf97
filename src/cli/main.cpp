// The pairforge binary: one file per subcommand, parsing only; errors are caught here once and
// mapped to the exit codes documented in README.md.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"pairforge: degradation pipelines, training and inference for super-resolution"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "pairforge 0.1.0");
  pf::cli::register_all(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 numbers its errors (105 for a failed validator, ...); README promises 2 for every
    // bad command line. --help and --version exit 0.
    const int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(pf::ExitCode::kUsage);
  } catch (const pf::Error& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return static_cast<int>(pf::ExitCode::kFailure);
  }
  return pf::cli::exit_code();
}

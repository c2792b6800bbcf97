// Registration of the subcommands; each lives in src/cli/<command>.cpp.
#pragma once
#include <CLI/CLI.hpp>

namespace pf::cli {

void register_ops(CLI::App& app);
void register_degrade(CLI::App& app);
void register_frames(CLI::App& app);
void register_compare(CLI::App& app);
void register_report(CLI::App& app);
void register_curate(CLI::App& app);
#ifdef PAIRFORGE_HAVE_TORCH
void register_inspect(CLI::App& app);
void register_convert(CLI::App& app);
void register_upscale(CLI::App& app);
void register_export(CLI::App& app);
void register_validate(CLI::App& app);
void register_train(CLI::App& app);
void register_plot(CLI::App& app);
void register_lbo(CLI::App& app);
#endif

inline void register_all(CLI::App& app) {
  register_ops(app);
  register_degrade(app);
  register_frames(app);
  register_compare(app);
  register_report(app);
  register_curate(app);
#ifdef PAIRFORGE_HAVE_TORCH
  register_inspect(app);
  register_convert(app);
  register_upscale(app);
  register_export(app);
  register_validate(app);
  register_train(app);
  register_plot(app);
  register_lbo(app);
#endif
}

// The most threads a --threads (or --loader-threads) option takes: far more than any machine
// has cores, few enough that starting them cannot exhaust the process.
constexpr int kMaxThreads = 1024;

// Set by a subcommand whose job finished with a non-fatal problem (e.g. skipped inputs).
int& exit_code_storage();
inline int exit_code() {
  return exit_code_storage();
}

}  // namespace pf::cli

// `pairforge plot RUN_DIR -o curves.png`: loss, learning-rate and validation curves of a run,
// drawn by gnuplot from train_log.jsonl.
#ifdef PAIRFORGE_HAVE_TORCH
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/commands.h"
#include "cli/torch_helper.h"
#include "core/error.h"
#include "train/train_log.h"

namespace fs = std::filesystem;

namespace pf::cli {
namespace {

struct PlotArgs {
  std::string run, out;
  int width = 1200, height = 900;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

void run_plot(const PlotArgs& a) {
  const std::string log = (fs::path(a.run) / "train_log.jsonl").string();
  if (!fs::exists(log)) throw InputError(a.run + ": no train_log.jsonl (is it a run folder?)");
  const auto records = train::read_train_log(log);
  // Columns: iter, lr, then one loss per column; validation: iter, metric..., bicubic...
  std::set<std::string> loss_names, metric_names;
  size_t train_records = 0, val_records = 0;
  for (const auto& r : records) {
    if (r.value("event", "") == "train" && r.contains("losses")) {
      ++train_records;
      for (const auto& [k, v] : r["losses"].items()) loss_names.insert(k);
    }
    if (r.value("event", "") == "val" && r.contains("metrics")) {
      ++val_records;
      for (const auto& [k, v] : r["metrics"].items()) metric_names.insert(k);
    }
  }
  if (loss_names.empty()) throw InputError(log + ": no training records yet");
  const fs::path tmp = fs::temp_directory_path() / fmt::format("pairforge-plot-{}", ::getpid());
  fs::create_directories(tmp);
  const std::string train_dat = (tmp / "train.dat").string(), val_dat = (tmp / "val.dat").string();
  {
    std::ofstream t(train_dat), v(val_dat);
    for (const auto& r : records) {
      const auto iter = r.value("iter", int64_t{0});
      if (r.value("event", "") == "train") {
        t << iter << ' ' << r.value("lr", 0.0);
        for (const auto& n : loss_names)
          t << ' '
            << (r["losses"].contains(n) ? fmt::format("{}", r["losses"][n].get<double>())
                                        : std::string("NaN"));
        t << '\n';
      } else if (r.value("event", "") == "val" && !metric_names.empty()) {
        v << iter;
        for (const auto* group : {"metrics", "bicubic"})
          for (const auto& n : metric_names)
            v << ' '
              << (r.contains(group) && r[group].contains(n)
                      ? fmt::format("{}", r[group][n].get<double>())
                      : std::string("NaN"));
        v << '\n';
      }
    }
  }
  const bool has_val = !metric_names.empty() && fs::file_size(val_dat) > 0;
  std::string script = fmt::format(
      "set terminal pngcairo size {},{} font 'DejaVu Sans,10' noenhanced\nset output {}\n"
      "set multiplot layout {},1 title {}\nset grid\nset key outside right\n"
      "set xlabel 'iteration'\n",
      a.width, a.height, quote(a.out), has_val ? 3 : 2, quote("pairforge: " + a.run));
  script += "set title 'losses'\nset logscale y\nplot ";
  int col = 3;
  for (const auto& n : loss_names) {
    script += fmt::format("{}{} using 1:{} with lines lw 1.5 title {}", col > 3 ? ", " : "",
                          quote(train_dat), col, quote(n));
    ++col;
  }
  script += "\nset title 'learning rate'\nunset logscale y\nplot " + quote(train_dat) +
            " using 1:2 with lines lw 1.5 title 'lr'\n";
  if (has_val) {
    // SSIM-like metrics (values up to 1) on the right axis, PSNR-like ones on the left.
    script +=
        "set title 'validation'\nset ytics nomirror\nset y2tics\nset ylabel 'PSNR (dB)'\n"
        "set y2label 'SSIM'\nplot ";
    const size_t m = metric_names.size();
    size_t i = 0;
    for (const auto& n : metric_names) {
      const bool unit = n.find("ssim") != std::string::npos;
      const std::string axes = unit ? " axes x1y2" : "";
      script += fmt::format(
          "{}{} using 1:{}{} with linespoints lw 1.5 pt 7 title {}, {} using "
          "1:{}{} with lines dt 2 title {}",
          i ? ", " : "", quote(val_dat), i + 2, axes, quote(n), quote(val_dat), i + 2 + m, axes,
          quote(n + " (bicubic)"));
      ++i;
    }
    script += "\n";
  }
  script += "unset multiplot\n";
  FILE* gp = ::popen("gnuplot 2>&1", "w");
  if (!gp) throw Error("cannot start gnuplot (install gnuplot-nox)");
  std::fwrite(script.data(), 1, script.size(), gp);
  const int rc = ::pclose(gp);
  fs::remove_all(tmp);
  if (rc != 0) throw Error(fmt::format("gnuplot failed (exit {}); is gnuplot-nox installed?", rc));
  if (!fs::exists(a.out)) throw IoError("gnuplot wrote no " + a.out);
  spdlog::info("curves of {} training records and {} validation records written to {}",
               train_records, val_records, a.out);
}

}  // namespace

void register_plot(CLI::App& app) {
  static PlotArgs a;
  auto* cmd = app.add_subcommand("plot", torch_command_description("plot"));
  cmd->add_option("run", a.run, "run folder (experiments/<name>)")->required();
  cmd->add_option("-o,--output", a.out, "PNG to write")->required();
  cmd->add_option("--width", a.width, "pixels");
  cmd->add_option("--height", a.height, "pixels");
  cmd->footer("Example: pairforge plot experiments/2x_compact -o curves.png (needs gnuplot)");
  cmd->callback([] { run_plot(a); });
}

}  // namespace pf::cli

#endif  // PAIRFORGE_HAVE_TORCH

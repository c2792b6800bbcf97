#include "core/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace pf {

using Clock = std::chrono::steady_clock;

Progress::Progress(std::string label, int64_t total, bool tty, std::string unit,
                   std::string counted)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      counted_(std::move(counted)),
      total_(total),
      tty_(tty),
      start_(Clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

bool Progress::stderr_is_tty() {
  return ::isatty(STDERR_FILENO) == 1;
}

void Progress::advance(int64_t units, int64_t pairs) {
  std::lock_guard<std::mutex> lock(mutex_);
  units_ += units;
  pairs_ += pairs;
  const auto now = Clock::now();
  // A terminal redraws at 10 Hz; a log gets a line every 10 s so CI logs stay readable.
  const auto every = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
  if (now - last_draw_ >= every) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::set_note(std::string note) {
  std::lock_guard<std::mutex> lock(mutex_);
  note_ = std::move(note);
}

static std::string duration(double s) {
  const int t = static_cast<int>(s + 0.5);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                   : fmt::format("{:02}:{:02}", t / 60, t % 60);
}

void Progress::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? pairs_ / elapsed : 0;
  std::string eta = "--:--";
  if (total_ > 0 && units_ > 0) eta = duration(elapsed * (total_ - units_) / units_);
  const std::string of = total_ < 0 ? std::string("?") : std::to_string(total_);
  // "3/10 inputs, 5 pairs, 0.80 pairs/s" or, when the units are what is counted, "3/10 images,
  // 0.80 images/s".
  const std::string counts =
      counted_.empty() ? fmt::format("{}/{} {}, {:.2f} {}/s", units_, of, unit_, rate, unit_)
                       : fmt::format("{}/{} {}, {} {}, {:.2f} {}/s", units_, of, unit_, pairs_,
                                     counted_, rate, counted_);
  if (!tty_) {
    if (final) return;  // the caller logs its own summary
    spdlog::info("{}: {}, ETA {}", label_, counts, eta);
    return;
  }
  const int width = 30;
  const double frac = total_ > 0 ? static_cast<double>(units_) / total_ : 0;
  const int filled = static_cast<int>(frac * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  // \033[K clears what a longer previous line left behind.
  std::fprintf(stderr, "\r%s [%s] %s  %s %s%s%s\033[K", label_.c_str(), bar.c_str(), counts.c_str(),
               final ? "took" : "ETA", final ? duration(elapsed).c_str() : eta.c_str(),
               note_.empty() ? "" : "  ", note_.c_str());
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace pf

// A progress bar on a terminal (units, rate, ETA), plain log lines otherwise. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace pf {

class Progress {
 public:
  // total < 0: unknown (no ETA). `tty` decides between the bar and log lines. `unit` names what
  // the bar counts; `counted` what the rate counts ("pairs" for degrade), empty = the units.
  Progress(std::string label, int64_t total, bool tty, std::string unit = "inputs",
           std::string counted = "pairs");
  ~Progress();
  // `units` advance the bar (inputs); `pairs` are what the rate counts.
  void advance(int64_t units, int64_t pairs);
  void finish();
  // Text drawn after the counts (the trainer's losses and learning rate).
  void set_note(std::string note);
  static bool stderr_is_tty();

 private:
  void draw(bool final);
  std::string label_, unit_, counted_, note_;
  int64_t total_, units_ = 0, pairs_ = 0;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace pf

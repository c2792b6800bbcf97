// train_log.jsonl: one JSON object per line, for `pairforge plot`, `pairforge report` and
// anyone's scripts.
//   {"event":"train","iter":100,"time":...,"elapsed_s":..,"lr":..,"losses":{"l1loss":..,
//    "total":..},"it_per_s":..,"data_wait_share":..,"eta_s":..}
//   {"event":"val","iter":1000,"time":...,"metrics":{"psnr":..},"bicubic":{"psnr":..},
//    "images":[{"name":..,"output":"visualization/..png","lq":..,"gt":..,"psnr":..}]}
// Losses are means over the iterations since the previous record (weighted, as summed).
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace pf::train {

class TrainLog {
 public:
  // Opens the log; records after `keep_until` (the iteration a resume starts from) are dropped,
  // so a resumed run's log reads as one run.
  TrainLog(std::string path, int64_t keep_until);

  // One iteration's losses (label -> weighted value).
  void add(const std::map<std::string, double>& losses);
  struct Window {
    std::map<std::string, double> losses;  // means since the last take()
    int64_t iterations = 0;
  };
  Window take();

  void write(const nlohmann::json& record);

 private:
  std::string path_;
  std::map<std::string, double> sums_;
  int64_t count_ = 0;
};

// Reads every complete record of a log (a torn last line is skipped).
std::vector<nlohmann::json> read_train_log(const std::string& path);

}  // namespace pf::train

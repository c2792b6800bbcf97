// The learning rate of every iteration as a closed form of the iteration number, so a resumed
// run needs no scheduler state: MultiStepLR, StepLR, CosineAnnealingLR and basicsr's
// CosineAnnealingRestartLR, with linear warm-up (warmup_iter) in front, as basicsr applies it.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "train/options.h"

namespace pf::train {

struct ScheduleOptions {
  std::string type = "ConstantLR";  // ConstantLR when train.scheduler is absent
  std::vector<int64_t> milestones;
  double gamma = 0.1;
  int64_t step_size = 1;
  int64_t t_max = 1;
  double eta_min = 0;
  std::vector<int64_t> periods;
  std::vector<double> restart_weights;
  std::string yaml;  // resolved options
};

ScheduleOptions read_scheduler(const YAML::Node& node, const std::string& file, Warnings& warnings);
std::string scheduler_reference_markdown();

// The learning rate used by iteration `iter` (1-based): base x the schedule after `iter`
// scheduler steps; during warm-up (iter <= warmup_iter) base x iter / warmup_iter instead.
double learning_rate(const ScheduleOptions& s, double base_lr, int64_t iter, int64_t warmup_iter);

}  // namespace pf::train

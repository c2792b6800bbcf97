// From a checked TrainConfig to the trainer's data: the train sources (mixed by weight), the
// validation pairs (decoded once) and the PNG writer for validation images.
#pragma once
#include "train/config.h"
#include "train/trainer.h"

namespace pf::train {

// Throws InputError naming the folder or pair; warnings collect skipped files and the like.
TrainData make_train_data(const TrainConfig& config, Warnings& warnings);

// The engine pipeline an OTF train dataset runs (for --explain and the run folder): the preset's
// text for otfdataset, the translation for realesrgandataset; empty for paired datasets.
std::string otf_degradation_yaml(const TrainConfig& config, const DatasetOptions& d);

}  // namespace pf::train

// A training config as `pairforge train -c FILE` reads it (traiNNer-redux's format through our
// option tables), up to the resolved YAML written into the run folder. Parsing only: no
// dataset folder or pretrained weight is opened.
#include <string>

#include "core/error.h"
#include "core/yaml_util.h"
#include "fuzz_target.h"
#include "train/config.h"

PF_FUZZ_TARGET(train_config) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const pf::train::TrainConfig c =
        pf::train::TrainConfig::parse(pf::load_yaml_string(text, "fuzz.yml"));
    const std::string resolved = c.resolved_yaml();
    pf::fuzz::accepted();
    // What we write as the resolved config is itself a config we read back, and it resolves to
    // itself: a resumed run sees exactly the options the first run used.
    const pf::train::TrainConfig again =
        pf::train::TrainConfig::parse(pf::load_yaml_string(resolved, "resolved.yml"));
    PF_FUZZ_ASSERT(again.resolved_yaml() == resolved);
  } catch (const pf::Error& e) {
    pf::fuzz::expected(e);
  }
  return 0;
}

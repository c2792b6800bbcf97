#include "degrade/registry.h"

namespace pf::degrade {

// Learned operators run a LibTorch network: they are in the list when the build has LibTorch
// (CMakeLists.txt then compiles their files into pf_degrade and defines this macro).
#ifdef PAIRFORGE_LEARNED_OPS
#define PAIRFORGE_LEARNED(X) X(lbo)
#else
#define PAIRFORGE_LEARNED(X)
#endif

// One line per operator. Each `op_<name>()` is defined in src/degrade/ops/<name>.cpp.
#define PAIRFORGE_OPS(X) \
  X(blur)                \
  X(noise)               \
  X(resize)              \
  X(sharpen)             \
  X(jpeg)                \
  X(webp)                \
  X(chroma)              \
  X(color)               \
  X(quantize)            \
  X(interlace)           \
  X(codec)               \
  X(text)                \
  PAIRFORGE_LEARNED(X)

#define PAIRFORGE_DECLARE_OP(name) const OpInfo& op_##name();
PAIRFORGE_OPS(PAIRFORGE_DECLARE_OP)
#undef PAIRFORGE_DECLARE_OP

const std::vector<const OpInfo*>& all_ops() {
#define PAIRFORGE_LIST_OP(name) &op_##name(),
  static const std::vector<const OpInfo*> ops = {PAIRFORGE_OPS(PAIRFORGE_LIST_OP)};
#undef PAIRFORGE_LIST_OP
  return ops;
}

const OpInfo* find_op(const std::string& name) {
  for (const OpInfo* op : all_ops())
    if (op->name == name) return op;
  return nullptr;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const OpInfo* op : all_ops()) names.push_back(op->name);
  return names;
}

}  // namespace pf::degrade

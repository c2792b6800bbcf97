// A restricted unpickler: a small VM over the opcodes torch.save emits (protocol 2..5) that
// builds plain values and never calls anything. Only an allow-list of globals may appear
// (OrderedDict, the tensor/parameter rebuild functions, the storage types); any other global,
// and any opcode outside the subset, is refused with a ModelError naming it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/raw_tensor.h"

namespace pf::models {

struct PyObject;
using PyRef = PyObject*;  // non-owning: every object lives in its Unpickled::arena

// A storage reference from a BINPERSID: ('storage', FloatStorage, key, location, numel).
struct StorageRef {
  DType dtype = DType::kF32;
  std::string key;
  int64_t numel = 0;
};

// A tensor rebuilt by torch._utils._rebuild_tensor_v2 (the data still in its storage).
struct TensorRef {
  std::shared_ptr<StorageRef> storage;
  int64_t offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

struct PyObject {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                              // str, bytes, global "module.name"
  std::vector<PyRef> items;                   // tuple, list
  std::vector<std::pair<PyRef, PyRef>> dict;  // dict / OrderedDict, insertion order
  std::shared_ptr<StorageRef> storage;
  std::shared_ptr<TensorRef> tensor;

  const PyObject* get(const std::string& key) const;  // dict lookup by str key
};

// All objects of one pickle, owned by a flat list: freeing never recurses (however deep the
// nesting) and reference cycles a hostile file builds through the memo cannot leak.
struct Unpickled {
  std::vector<std::unique_ptr<PyObject>> arena;
  PyObject* root = nullptr;
};

// `label` names the file in error messages.
Unpickled unpickle(const std::vector<uint8_t>& data, const std::string& label);

// Writes {"<top_key>": OrderedDict(name -> tensor), ...extra string dicts} in the subset of
// protocol 2 that torch.load(weights_only=True) accepts; tensor i uses storage key "i". No
// `top_keys`: the OrderedDict alone (torchvision's layout; metadata is left out).
std::vector<uint8_t> pickle_state_dict(const std::vector<std::string>& top_keys,
                                       const NamedTensors& tensors, const Metadata& metadata,
                                       const std::string& metadata_key);

}  // namespace pf::models

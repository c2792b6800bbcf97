#include "models/pickle.h"

#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/error.h"

namespace pf::models {

using Kind = PyObject::Kind;

const PyObject* PyObject::get(const std::string& key) const {
  for (const auto& [k, v] : dict)
    if (k->kind == Kind::kStr && k->s == key) return v;
  return nullptr;
}

namespace {

// A real checkpoint has ~10 objects per tensor; this bounds what a hostile file can allocate.
constexpr size_t kMaxObjects = 2'000'000;

struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", DType::kF32},     {"torch.HalfStorage", DType::kF16},
    {"torch.BFloat16Storage", DType::kBF16}, {"torch.DoubleStorage", DType::kF64},
    {"torch.LongStorage", DType::kI64},      {"torch.IntStorage", DType::kI32},
    {"torch.ShortStorage", DType::kI16},     {"torch.CharStorage", DType::kI8},
    {"torch.ByteStorage", DType::kU8},       {"torch.BoolStorage", DType::kBool},
};
constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";

bool allowed_global(const std::string& name) {
  if (name == kOrderedDict || name == kRebuildTensor || name == kRebuildParameter) return true;
  for (const auto& t : kStorageTypes)
    if (name == t.name) return true;
  return false;
}

class Unpickler {
 public:
  Unpickler(const std::vector<uint8_t>& data, const std::string& label) : d_(data), label_(label) {}

  Unpickled run() {
    while (true) {
      const size_t op_at = pos_;
      const uint8_t op = byte();
      if (op == '.') break;
      step(op, op_at);
    }
    if (stack_.size() != 1) fail("pickle ended with " + std::to_string(stack_.size()) + " values");
    Unpickled result;
    result.root = stack_.back();
    result.arena = std::move(arena_);
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw ModelError(label_ + ": " + msg + " (at byte " + std::to_string(pos_) + ")");
  }
  const uint8_t* take(size_t n) {
    if (n > d_.size() - pos_) fail("pickle data truncated");
    const uint8_t* p = &d_[pos_];
    pos_ += n;
    return p;
  }
  uint8_t byte() { return *take(1); }
  uint64_t le(size_t n) {
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  std::string str(size_t n) {
    const uint8_t* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string line() {
    std::string s;
    while (true) {
      const char c = static_cast<char>(byte());
      if (c == '\n') return s;
      s += c;
      if (s.size() > 512) fail("GLOBAL name too long");
    }
  }

  PyRef make(Kind k) {
    if (++objects_ > kMaxObjects) fail("too many objects");
    arena_.push_back(std::make_unique<PyObject>());
    PyObject* o = arena_.back().get();
    o->kind = k;
    return o;
  }
  PyRef make_int(int64_t v) {
    auto o = make(Kind::kInt);
    o->i = v;
    return o;
  }
  PyRef make_str(Kind k, std::string s) {
    auto o = make(k);
    o->s = std::move(s);
    return o;
  }

  void push(PyRef o) { stack_.push_back(std::move(o)); }
  PyRef pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      fail("stack underflow");
    PyRef o = std::move(stack_.back());
    stack_.pop_back();
    return o;
  }
  PyRef& top() {
    if (stack_.empty()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<PyRef> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> items(stack_.begin() + static_cast<ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  PyRef tuple(std::vector<PyRef> items) {
    auto t = make(Kind::kTuple);
    t->items = std::move(items);
    return t;
  }

  void append(const PyRef& list, std::vector<PyRef> items) {
    if (list->kind != Kind::kList) fail("APPEND to a non-list");
    list->items.insert(list->items.end(), items.begin(), items.end());
  }
  void set_items(const PyRef& dict, std::vector<PyRef> kv) {
    if (dict->kind != Kind::kDict) fail("SETITEM on a non-dict");
    if (kv.size() % 2) fail("SETITEMS with an odd number of values");
    for (size_t i = 0; i < kv.size(); i += 2) dict->dict.emplace_back(kv[i], kv[i + 1]);
  }

  PyRef global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!allowed_global(full))
      fail("refusing forbidden global '" + full +
           "' (a checkpoint may only hold tensors, dicts, lists and numbers)");
    return make_str(Kind::kGlobal, full);
  }

  PyRef persistent_load(const PyRef& pid) {
    // ('storage', <storage type>, key, location, numel)
    if (pid->kind != Kind::kTuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::kStr ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Kind::kGlobal ||
        pid->items[2]->kind != Kind::kStr || pid->items[4]->kind != Kind::kInt)
      fail("unsupported persistent id (expected a torch storage reference)");
    auto st = std::make_shared<StorageRef>();
    bool known = false;
    for (const auto& t : kStorageTypes)
      if (pid->items[1]->s == t.name) {
        st->dtype = t.dtype;
        known = true;
      }
    if (!known) fail("persistent id names '" + pid->items[1]->s + "', not a storage type");
    st->key = pid->items[2]->s;
    st->numel = pid->items[4]->i;
    if (st->numel < 0) fail("negative storage size");
    auto o = make(Kind::kStorage);
    o->storage = std::move(st);
    return o;
  }

  std::vector<int64_t> int_tuple(const PyRef& t, const char* what) {
    if (t->kind != Kind::kTuple) fail(std::string("tensor ") + what + " is not a tuple");
    std::vector<int64_t> v;
    for (const auto& i : t->items) {
      if (i->kind != Kind::kInt) fail(std::string("tensor ") + what + " holds a non-integer");
      v.push_back(i->i);
    }
    return v;
  }

  PyRef reduce(const PyRef& fn, const PyRef& args) {
    if (fn->kind != Kind::kGlobal || args->kind != Kind::kTuple) fail("REDUCE of a non-callable");
    if (fn->s == kOrderedDict) {
      if (!args->items.empty()) fail("OrderedDict called with arguments");
      return make(Kind::kDict);
    }
    if (fn->s == kRebuildParameter) {
      if (args->items.empty() || args->items[0]->kind != Kind::kTensor)
        fail("_rebuild_parameter without a tensor");
      return args->items[0];
    }
    if (fn->s == kRebuildTensor) {
      const auto& a = args->items;
      if (a.size() < 4 || a[0]->kind != Kind::kStorage || a[1]->kind != Kind::kInt)
        fail("malformed _rebuild_tensor_v2 arguments");
      auto t = std::make_shared<TensorRef>();
      t->storage = a[0]->storage;
      t->offset = a[1]->i;
      t->size = int_tuple(a[2], "size");
      t->stride = int_tuple(a[3], "stride");
      if (t->size.size() != t->stride.size()) fail("tensor size and stride ranks differ");
      auto o = make(Kind::kTensor);
      o->tensor = std::move(t);
      return o;
    }
    fail("refusing to call '" + fn->s + "'");
  }

  void step(uint8_t op, size_t op_at) {
    switch (op) {
      case 0x80:
        byte();
        break;  // PROTO
      case 0x95:
        le(8);
        break;  // FRAME: framing is transparent to us
      case '(':
        marks_.push_back(stack_.size());
        break;
      case '0':
        pop();
        break;
      case '1':
        pop_mark();
        break;
      case '2':
        push(top());
        break;
      case 'N':
        push(make(Kind::kNone));
        break;
      case 0x88:
      case 0x89: {
        auto o = make(Kind::kBool);
        o->b = op == 0x88;
        push(o);
        break;
      }
      case 'J':
        push(make_int(static_cast<int32_t>(le(4))));
        break;
      case 'K':
        push(make_int(static_cast<int64_t>(le(1))));
        break;
      case 'M':
        push(make_int(static_cast<int64_t>(le(2))));
        break;
      case 0x8a:
        push(make_int(long_bytes(le(1))));
        break;
      case 0x8b:
        push(make_int(long_bytes(le(4))));
        break;
      case 'G': {
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();  // big-endian
        auto o = make(Kind::kFloat);
        std::memcpy(&o->f, &bits, 8);
        push(o);
        break;
      }
      case 'X':
        push(make_str(Kind::kStr, str(le(4))));
        break;
      case 0x8c:
        push(make_str(Kind::kStr, str(le(1))));
        break;
      case 0x8d:
        push(make_str(Kind::kStr, str(le(8))));
        break;
      case 'T':
        push(make_str(Kind::kStr, str(le(4))));
        break;  // py2 str (ASCII keys)
      case 'U':
        push(make_str(Kind::kStr, str(le(1))));
        break;
      case 'B':
        push(make_str(Kind::kBytes, str(le(4))));
        break;
      case 'C':
        push(make_str(Kind::kBytes, str(le(1))));
        break;
      case 0x8e:
        push(make_str(Kind::kBytes, str(le(8))));
        break;
      case ')':
        push(tuple({}));
        break;
      case 't':
        push(tuple(pop_mark()));
        break;
      case 0x85:
        push(tuple({pop()}));
        break;
      case 0x86: {
        auto b = pop(), a = pop();
        push(tuple({a, b}));
        break;
      }
      case 0x87: {
        auto c = pop(), b = pop(), a = pop();
        push(tuple({a, b, c}));
        break;
      }
      case ']':
        push(make(Kind::kList));
        break;
      case 'l': {
        auto items = pop_mark();
        auto l = make(Kind::kList);
        append(l, std::move(items));
        push(l);
        break;
      }
      case 'a': {
        auto v = pop();
        append(top(), {v});
        break;
      }
      case 'e': {
        auto items = pop_mark();
        append(top(), std::move(items));
        break;
      }
      case '}':
        push(make(Kind::kDict));
        break;
      case 'd': {
        auto kv = pop_mark();
        auto dct = make(Kind::kDict);
        set_items(dct, std::move(kv));
        push(dct);
        break;
      }
      case 's': {
        auto v = pop(), k = pop();
        set_items(top(), {k, v});
        break;
      }
      case 'u': {
        auto kv = pop_mark();
        set_items(top(), std::move(kv));
        break;
      }
      case 'c': {
        const std::string module = line();
        const std::string name = line();
        push(global(module, name));
        break;
      }
      case 0x93: {
        auto name = pop(), module = pop();
        if (name->kind != Kind::kStr || module->kind != Kind::kStr)
          fail("STACK_GLOBAL with non-string names");
        push(global(module->s, name->s));
        break;
      }
      case 'R': {
        auto args = pop(), fn = pop();
        push(reduce(fn, args));
        break;
      }
      case 'b': {
        pop();  // state: OrderedDict's _metadata, irrelevant to the weights
        const auto kind = top()->kind;
        if (kind != Kind::kDict && kind != Kind::kTensor) fail("BUILD on an unsupported object");
        break;
      }
      case 'Q': {
        auto pid = pop();
        push(persistent_load(pid));
        break;
      }
      case 'q':
        memo_[static_cast<uint32_t>(le(1))] = top();
        break;
      case 'r':
        memo_[static_cast<uint32_t>(le(4))] = top();
        break;
      case 0x94:
        memo_[static_cast<uint32_t>(memo_.size())] = top();
        break;
      case 'h':
        push(memo_get(le(1)));
        break;
      case 'j':
        push(memo_get(le(4)));
        break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        pos_ = op_at;
        fail(std::string("refusing unsupported pickle opcode ") + hex);
      }
    }
  }

  int64_t long_bytes(uint64_t n) {
    if (n > 8) fail("integer wider than 64 bits");
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }

  PyRef memo_get(uint64_t key) {
    auto it = memo_.find(static_cast<uint32_t>(key));
    if (it == memo_.end()) fail("memo key " + std::to_string(key) + " was never stored");
    return it->second;
  }

  const std::vector<uint8_t>& d_;
  const std::string& label_;
  size_t pos_ = 0;
  size_t objects_ = 0;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, PyRef> memo_;
  std::vector<std::unique_ptr<PyObject>> arena_;
};

// --- writer ------------------------------------------------------------------------------

class PickleWriter {
 public:
  std::vector<uint8_t> out;

  void op(uint8_t c) { out.push_back(c); }
  void raw(const std::string& s) { out.insert(out.end(), s.begin(), s.end()); }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void str(const std::string& s) {  // BINUNICODE: the only string opcode torch 1.13 accepts
    op('X');
    le(s.size(), 4);
    raw(s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint64_t>(v), 4);
    } else {
      op(0x8a);
      le(8, 1);
      le(static_cast<uint64_t>(v), 8);
    }
  }
  void global(const char* module, const char* name) {
    op('c');
    raw(std::string(module) + "\n" + name + "\n");
  }
  void ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }
  void int_tuple(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    op('t');
  }
  void put(uint32_t key) {
    op('r');
    le(key, 4);
  }
  void get(uint32_t key) {
    op('j');
    le(key, 4);
  }
};

const char* storage_name(DType t) {
  for (const auto& s : kStorageTypes)
    if (s.dtype == t) return std::strchr(s.name, '.') + 1;
  throw ModelError("no torch storage type for this dtype");
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> stride(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) stride[i - 1] = stride[i] * shape[i];
  return stride;
}

}  // namespace

Unpickled unpickle(const std::vector<uint8_t>& data, const std::string& label) {
  return Unpickler(data, label).run();
}

std::vector<uint8_t> pickle_state_dict(const std::vector<std::string>& top_keys,
                                       const NamedTensors& tensors, const Metadata& metadata,
                                       const std::string& metadata_key) {
  PickleWriter w;
  w.op(0x80);
  w.le(2, 1);
  // OrderedDict(name -> tensor); `shared`: the tensors were written before (memo i).
  const auto tensor_dict = [&](bool shared) {
    w.ordered_dict();
    w.op('(');
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& [name, t] = tensors[i];
      w.str(name);
      if (shared) {  // later dicts share the tensors of the first, as torch.save would
        w.get(static_cast<uint32_t>(i));
        continue;
      }
      w.global("torch._utils", "_rebuild_tensor_v2");
      w.op('(');
      w.op('(');
      w.str("storage");
      w.global("torch", storage_name(t.dtype));
      w.str(std::to_string(i));
      w.str("cpu");
      w.integer(checked_numel(t.shape, name));
      w.op('t');
      w.op('Q');
      w.integer(0);
      w.int_tuple(t.shape);
      w.int_tuple(contiguous_strides(t.shape));
      w.op(0x89);        // requires_grad False
      w.ordered_dict();  // backward hooks
      w.op('t');
      w.op('R');
      w.put(static_cast<uint32_t>(i));
    }
    w.op('u');
  };
  if (top_keys.empty()) {
    // torch.save(model.state_dict()): the layout of torchvision's weight files.
    tensor_dict(false);
    w.op('.');
    return w.out;
  }
  w.op('}');
  w.op('(');
  for (size_t k = 0; k < top_keys.size(); ++k) {
    w.str(top_keys[k]);
    tensor_dict(k > 0);
  }
  if (!metadata.empty()) {
    w.str(metadata_key);
    w.op('}');
    w.op('(');
    for (const auto& [key, value] : metadata) {
      w.str(key);
      w.str(value);
    }
    w.op('u');
  }
  w.op('u');
  w.op('.');
  return w.out;
}

}  // namespace pf::models

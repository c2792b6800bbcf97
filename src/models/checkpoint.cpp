#include "models/checkpoint.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/pickle.h"
#include "models/zip.h"

namespace pf::models {

namespace {

// Wrappers that training tools put around the weights, in the order we prefer them.
const char* const kWrapperKeys[] = {"params_ema",       "params", "state_dict",
                                    "model_state_dict", "model",  "net"};
const char* const kStripPrefixes[] = {"module.", "netG."};
// safetensors' own limit on the JSON header.
constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;
// A .pth tensor is a view of a storage and may repeat its elements (stride 0, overlapping
// strides), but a few bytes of storage must not become gigabytes: a view may hold more elements
// than its storage only up to this size, and all tensors together at most four times the storage
// bytes read (tied weights view one storage twice) plus this.
constexpr uint64_t kMaxRepeatedBytes = 64u << 20;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Bytes of its storage a tensor view reaches (offset to its highest element, inclusive), in
// arithmetic that cannot overflow; a view that cannot fit any storage is an error here.
uint64_t reach_bytes(const TensorRef& ref, const std::string& what) {
  const uint64_t elem = dtype_size(ref.storage->dtype);
  if (checked_numel(ref.size, what) == 0) return 0;
  int64_t highest = ref.offset;
  bool fits = ref.offset >= 0 && ref.stride.size() == ref.size.size();
  for (size_t d = 0; d < ref.size.size() && fits; ++d) {
    int64_t span = 0;
    fits = ref.stride[d] >= 0 && !__builtin_mul_overflow(ref.size[d] - 1, ref.stride[d], &span) &&
           !__builtin_add_overflow(highest, span, &highest);
  }
  uint64_t bytes = 0;
  if (!fits || __builtin_mul_overflow(static_cast<uint64_t>(highest) + 1, elem, &bytes))
    throw ModelError(what + ": shape " + shape_to_string(ref.size) + " at offset " +
                     std::to_string(ref.offset) + " cannot fit any storage");
  return bytes;
}

// Copies a (possibly strided) tensor out of its storage bytes, checking every index.
RawTensor gather(const TensorRef& ref, const std::vector<uint8_t>& storage,
                 const std::string& what) {
  RawTensor t;
  t.dtype = ref.storage->dtype;
  t.shape = ref.size;
  const size_t elem = dtype_size(t.dtype);
  const int64_t numel = checked_numel(t.shape, what);
  if (storage.size() / elem < static_cast<uint64_t>(ref.storage->numel))
    throw ModelError(what + ": storage holds " + std::to_string(storage.size()) +
                     " bytes, fewer than its declared " + std::to_string(ref.storage->numel) +
                     " elements");
  const int64_t available = static_cast<int64_t>(storage.size() / elem);
  if (numel == 0) return t;
  // Bounds before anything is allocated, in arithmetic that cannot overflow (a hostile file's
  // strides and offsets reach INT64_MAX): the highest element touched must be in the storage.
  int64_t highest = ref.offset;
  bool fits = ref.offset >= 0;
  for (size_t d = 0; d < ref.size.size() && fits; ++d) {
    if (ref.stride[d] < 0) throw ModelError(what + ": negative stride");
    int64_t span = 0;
    fits = !__builtin_mul_overflow(ref.size[d] - 1, ref.stride[d], &span) &&
           !__builtin_add_overflow(highest, span, &highest);
  }
  if (!fits || highest >= available)
    throw ModelError(what + ": shape " + shape_to_string(ref.size) + " at offset " +
                     std::to_string(ref.offset) + " does not fit its storage of " +
                     std::to_string(available) + " elements");
  if (numel > available && static_cast<uint64_t>(numel) * elem > kMaxRepeatedBytes)
    throw ModelError(what + ": a view of " + std::to_string(numel) + " elements on a storage of " +
                     std::to_string(available) + " repeats it into more than " +
                     std::to_string(kMaxRepeatedBytes >> 20) + " MiB");
  t.bytes.resize(static_cast<size_t>(numel) * elem);
  // Rows of the last dimension are copied whole when they are contiguous in the storage (every
  // tensor torch.save writes from a module is: then the whole tensor is one row).
  std::vector<int64_t> size = ref.size, stride = ref.stride;
  if (size.empty()) size = {1}, stride = {1};
  for (size_t d = size.size() - 1; d > 0; --d)  // fold dimensions that continue the row
    if (stride[d] == 1 && stride[d - 1] == size[d]) {
      size[d - 1] *= size[d];
      stride[d - 1] = 1;
      size.erase(size.begin() + static_cast<ptrdiff_t>(d));
      stride.erase(stride.begin() + static_cast<ptrdiff_t>(d));
    }
  const int64_t row = size.back(), row_stride = stride.back();
  std::vector<int64_t> index(size.size() - 1, 0);
  uint8_t* out = t.bytes.data();
  for (int64_t n = 0; n < numel; n += row) {
    int64_t src = ref.offset;
    for (size_t d = 0; d < index.size(); ++d) src += index[d] * stride[d];
    if (row_stride == 1) {
      std::memcpy(out, &storage[static_cast<size_t>(src) * elem], static_cast<size_t>(row) * elem);
      out += static_cast<size_t>(row) * elem;
    } else {
      for (int64_t i = 0; i < row; ++i, out += elem)
        std::memcpy(out, &storage[static_cast<size_t>(src + i * row_stride) * elem], elem);
    }
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return t;
}

const PyObject* unwrap(const PyObject* root, std::string& wrapper, const std::string& preferred,
                       const std::string& label) {
  if (!preferred.empty() && root->kind == PyObject::Kind::kDict) {
    const PyObject* v = root->get(preferred);
    if (v && v->kind == PyObject::Kind::kDict) {
      wrapper = preferred;
      root = v;
    }
  }
  // A pickle can make a dict hold itself (through the memo): without the check this loop never
  // ends, and the wrapper path grows until memory runs out.
  std::vector<const PyObject*> seen{root};
  while (root->kind == PyObject::Kind::kDict) {
    const PyObject* inner = nullptr;
    for (const char* key : kWrapperKeys) {
      const PyObject* v = root->get(key);
      if (v && v->kind == PyObject::Kind::kDict) {
        inner = v;
        wrapper = wrapper.empty() ? key : wrapper + "." + key;
        break;
      }
    }
    if (!inner) break;
    if (std::find(seen.begin(), seen.end(), inner) != seen.end())
      throw ModelError(label + ": the checkpoint's '" + wrapper + "' dict contains itself");
    seen.push_back(inner);
    root = inner;
  }
  return root;
}

Metadata pth_metadata(const PyObject* root) {
  Metadata meta;
  const PyObject* m = root->kind == PyObject::Kind::kDict ? root->get(kPthMetadataKey) : nullptr;
  if (!m || m->kind != PyObject::Kind::kDict) return meta;
  for (const auto& [k, v] : m->dict)
    if (k->kind == PyObject::Kind::kStr && v->kind == PyObject::Kind::kStr) meta[k->s] = v->s;
  return meta;
}

bool is_legacy_pth(const std::vector<uint8_t>& b) {
  // Pre-1.6 torch.save: a pickled magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes).
  static const uint8_t kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20};
  return b.size() >= sizeof kMagic && std::equal(std::begin(kMagic), std::end(kMagic), b.begin());
}

}  // namespace

const char* format_name(FileFormat f) {
  return f == FileFormat::kPth ? "pth" : "safetensors";
}

FileFormat format_from_path(const std::string& path) {
  if (ends_with(path, ".safetensors")) return FileFormat::kSafetensors;
  if (ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".ckpt"))
    return FileFormat::kPth;
  throw ModelError("'" + path + "': unknown model file extension (use .pth or .safetensors)");
}

void strip_common_prefixes(NamedTensors& tensors) {
  for (const std::string prefix : kStripPrefixes) {
    const bool all = !tensors.empty() && std::all_of(tensors.begin(), tensors.end(), [&](auto& kv) {
      return kv.first.rfind(prefix, 0) == 0;
    });
    if (all)
      for (auto& kv : tensors) kv.first.erase(0, prefix.size());
  }
}

Checkpoint read_pth(const std::vector<uint8_t>& bytes, const std::string& label,
                    const std::string& preferred_key) {
  if (!looks_like_zip(bytes)) {
    if (is_legacy_pth(bytes))
      throw ModelError(label +
                       ": legacy (pre-1.6, non-zip) .pth format is unsupported; re-save it with "
                       "a current torch.save or convert it to .safetensors");
    throw ModelError(label + ": not a zip-format .pth file");
  }
  ZipReader zip(bytes, label);
  const ZipEntry* pkl = nullptr;
  for (const auto& e : zip.entries())
    if (ends_with(e.name, "/data.pkl") && std::count(e.name.begin(), e.name.end(), '/') == 1) {
      pkl = &e;
      break;
    }
  if (!pkl) throw ModelError(label + ": no <archive>/data.pkl in the zip (not a torch checkpoint)");
  const std::string root_dir = pkl->name.substr(0, pkl->name.size() - 8);  // keeps the '/'

  const Unpickled pickle = unpickle(zip.read(*pkl), label + " (" + pkl->name + ")");
  const PyObject* root = pickle.root;
  Checkpoint ck;
  ck.format = FileFormat::kPth;
  ck.metadata = pth_metadata(root);
  const PyObject* dict = unwrap(root, ck.wrapper, preferred_key, label);
  if (dict->kind != PyObject::Kind::kDict)
    throw ModelError(label + ": the checkpoint is not a dict of tensors");

  // Before anything is inflated: how many bytes of each storage its tensors can reach. A
  // storage entry much larger than that (a 1 MB file whose entry inflates to 1 GiB behind a
  // 3x3 kernel) is refused on its declared size, never inflated.
  std::map<std::string, uint64_t> reach;
  for (const auto& [key, value] : dict->dict) {
    if (key->kind != PyObject::Kind::kStr || value->kind != PyObject::Kind::kTensor) continue;
    const TensorRef& ref = *value->tensor;
    uint64_t& r = reach[ref.storage->key];
    r = std::max(r, reach_bytes(ref, label + ": tensor '" + key->s + "'"));
  }

  std::map<std::string, std::vector<uint8_t>> storages;
  uint64_t storage_bytes = 0, tensor_bytes = 0;
  for (const auto& [key, value] : dict->dict) {
    if (key->kind != PyObject::Kind::kStr || value->kind != PyObject::Kind::kTensor) continue;
    const TensorRef& ref = *value->tensor;
    auto it = storages.find(ref.storage->key);
    if (it == storages.end()) {
      const std::string entry_name = root_dir + "data/" + ref.storage->key;
      const ZipEntry* entry = zip.find(entry_name);
      if (!entry)
        throw ModelError(label + ": tensor '" + key->s + "' refers to missing " + entry_name);
      const uint64_t used = reach[ref.storage->key];
      if (entry->size > used + kMaxRepeatedBytes)
        throw ModelError(label + ": storage " + entry_name + " declares " +
                         std::to_string(entry->size) + " bytes, but its tensors (shape " +
                         shape_to_string(ref.size) + " for '" + key->s + "') reach only " +
                         std::to_string(used));
      it = storages.emplace(ref.storage->key, zip.read(*entry)).first;
      storage_bytes += it->second.size();
    }
    ck.tensors.emplace_back(key->s, gather(ref, it->second, label + ": tensor '" + key->s + "'"));
    tensor_bytes += ck.tensors.back().second.bytes.size();
    if (tensor_bytes > 4 * storage_bytes + kMaxRepeatedBytes)
      throw ModelError(label + ": its tensors view the same storage bytes over and over (" +
                       std::to_string(tensor_bytes) + " bytes of tensors from " +
                       std::to_string(storage_bytes) + " of storage)");
  }
  if (ck.tensors.empty()) throw ModelError(label + ": no tensors found in the checkpoint");
  strip_common_prefixes(ck.tensors);
  return ck;
}

Checkpoint read_safetensors(const std::vector<uint8_t>& bytes, const std::string& label) {
  if (bytes.size() < 8) throw ModelError(label + ": too small to be a safetensors file");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  if (n > kMaxSafetensorsHeader)
    throw ModelError(label + ": safetensors header of " + std::to_string(n) +
                     " bytes exceeds the 100 MiB limit");
  if (n > bytes.size() - 8)
    throw ModelError(label + ": safetensors header length " + std::to_string(n) +
                     " runs past the end of the file (truncated?)");
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(bytes.begin() + 8,
                                           bytes.begin() + 8 + static_cast<ptrdiff_t>(n));
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(label + ": safetensors header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) throw ModelError(label + ": safetensors header is not a JSON object");

  const uint64_t data_begin = 8 + n;
  const uint64_t data_size = bytes.size() - data_begin;
  Checkpoint ck;
  ck.format = FileFormat::kSafetensors;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, info] : header.items()) {
    const std::string what = label + ": tensor '" + name + "'";
    if (name == "__metadata__") {
      if (!info.is_object()) throw ModelError(label + ": __metadata__ is not an object");
      for (const auto& [k, v] : info.items()) {
        if (!v.is_string())
          throw ModelError(label + ": __metadata__ value '" + k + "' is not a string");
        ck.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets"))
      throw ModelError(what + ": needs dtype, shape and data_offsets");
    const auto& dt = info["dtype"];
    const auto& shape = info["shape"];
    const auto& offsets = info["data_offsets"];
    RawTensor t;
    if (!dt.is_string() || !dtype_from_name(dt.get<std::string>(), t.dtype))
      throw ModelError(what + ": unknown dtype " + dt.dump());
    if (!shape.is_array()) throw ModelError(what + ": shape is not an array");
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t{INT64_MAX})
        throw ModelError(what + ": bad dimension " + d.dump());
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      throw ModelError(what + ": data_offsets must be two non-negative integers");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw ModelError(what + ": data_offsets [" + std::to_string(begin) + ", " +
                       std::to_string(end) + "] lie outside the " + std::to_string(data_size) +
                       " data bytes");
    const uint64_t expected =
        static_cast<uint64_t>(checked_numel(t.shape, what)) * dtype_size(t.dtype);
    if (end - begin != expected)
      throw ModelError(what + ": " + std::to_string(end - begin) + " bytes for shape " +
                       shape_to_string(t.shape) + " " + dtype_name(t.dtype) + " (needs " +
                       std::to_string(expected) + ")");
    t.bytes.assign(bytes.begin() + static_cast<ptrdiff_t>(data_begin + begin),
                   bytes.begin() + static_cast<ptrdiff_t>(data_begin + end));
    ranges.emplace_back(begin, end);
    ck.tensors.emplace_back(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      throw ModelError(label + ": safetensors tensors overlap in the data section");
  strip_common_prefixes(ck.tensors);
  return ck;
}

Checkpoint read_checkpoint(const std::string& path, const std::string& preferred_key) {
  const auto bytes = read_file_bytes(path);
  // Trust the content over the extension: a .pth starts "PK", a safetensors with a length.
  if (looks_like_zip(bytes) || is_legacy_pth(bytes)) return read_pth(bytes, path, preferred_key);
  if (format_from_path(path) == FileFormat::kPth) return read_pth(bytes, path, preferred_key);
  return read_safetensors(bytes, path);
}

std::vector<uint8_t> write_pth(const NamedTensors& tensors, const Metadata& metadata,
                               const PthOptions& options) {
  std::vector<std::string> keys;
  if (!options.key.empty()) keys.push_back(options.key);
  if (options.also_params && options.key != "params") keys.push_back("params");
  const std::string dir = "archive/";
  ZipWriter zip;
  zip.add(dir + "data.pkl", pickle_state_dict(keys, tensors, metadata, kPthMetadataKey));
  zip.add(dir + "byteorder", {'l', 'i', 't', 't', 'l', 'e'});
  for (size_t i = 0; i < tensors.size(); ++i)
    zip.add(dir + "data/" + std::to_string(i), tensors[i].second.bytes);
  zip.add(dir + "version", {'3', '\n'});
  return zip.finish();
}

std::vector<uint8_t> write_safetensors(const NamedTensors& tensors, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t size = t.bytes.size();
    header[name] = {{"dtype", dtype_name(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i)));
  out.insert(out.end(), text.begin(), text.end());
  for (const auto& kv : tensors)
    out.insert(out.end(), kv.second.bytes.begin(), kv.second.bytes.end());
  return out;
}

void write_checkpoint(const std::string& path, const NamedTensors& tensors,
                      const Metadata& metadata, const PthOptions& pth_options) {
  const auto bytes = format_from_path(path) == FileFormat::kPth
                         ? write_pth(tensors, metadata, pth_options)
                         : write_safetensors(tensors, metadata);
  write_file_bytes(path, bytes);
}

}  // namespace pf::models

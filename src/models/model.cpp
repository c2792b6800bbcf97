#include "models/model.h"

#include <cstdio>
#include <set>

#include "core/error.h"
#include "models/compact.h"
#include "models/lbo.h"
#include "models/realcugan.h"
#include "models/span.h"

namespace pf::models {

namespace {

struct DTypePair {
  DType ours;
  torch::ScalarType theirs;
};
constexpr DTypePair kDTypes[] = {
    {DType::kF32, torch::kFloat32},   {DType::kF16, torch::kFloat16},
    {DType::kBF16, torch::kBFloat16}, {DType::kF64, torch::kFloat64},
    {DType::kI64, torch::kInt64},     {DType::kI32, torch::kInt32},
    {DType::kI16, torch::kInt16},     {DType::kI8, torch::kInt8},
    {DType::kU8, torch::kUInt8},      {DType::kBool, torch::kBool},
};

torch::ScalarType to_scalar(DType t) {
  for (const auto& p : kDTypes)
    if (p.ours == t) return p.theirs;
  throw ModelError("unsupported dtype");
}

DType from_scalar(torch::ScalarType t) {
  for (const auto& p : kDTypes)
    if (p.theirs == t) return p.ours;
  throw ModelError(std::string("unsupported tensor dtype ") + c10::toString(t));
}

bool is_floating(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64;
}

void collect_state(const torch::nn::Module& m, const std::string& prefix, DType dtype,
                   NamedTensors& out) {
  for (const auto& p : m.named_parameters(false)) {
    auto t = p.value().detach();
    out.emplace_back(prefix + p.key(),
                     from_torch(t.is_floating_point() ? t.to(to_scalar(dtype)) : t));
  }
  for (const auto& b : m.named_buffers(false)) {
    auto t = b.value().detach();
    out.emplace_back(prefix + b.key(),
                     from_torch(t.is_floating_point() ? t.to(to_scalar(dtype)) : t));
  }
  for (const auto& c : m.named_children())
    collect_state(*c.value(), prefix + c.key() + ".", dtype, out);
}

}  // namespace

torch::Tensor to_torch(const RawTensor& t) {
  const auto options = torch::TensorOptions().dtype(to_scalar(t.dtype));
  if (t.bytes.empty()) return torch::empty(t.shape, options);
  return torch::from_blob(const_cast<uint8_t*>(t.bytes.data()), t.shape, options).clone();
}

RawTensor from_torch(const torch::Tensor& tensor) {
  const auto c = tensor.detach().to(torch::kCPU).contiguous();
  RawTensor t;
  t.dtype = from_scalar(c.scalar_type());
  t.shape = c.sizes().vec();
  const auto* p = static_cast<const uint8_t*>(c.data_ptr());
  t.bytes.assign(p, p + c.numel() * static_cast<int64_t>(c.element_size()));
  return t;
}

NamedTensors module_state(const torch::nn::Module& module, DType dtype) {
  NamedTensors out;
  collect_state(module, "", dtype, out);
  return out;
}

void load_state(torch::nn::Module& module, const NamedTensors& tensors, const std::string& label) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  const auto assign = [&](const std::string& name, torch::Tensor& dst) {
    const RawTensor* src = find_tensor(tensors, name);
    if (!src) throw ModelError(label + ": weight '" + name + "' is missing from the file");
    if (src->shape != dst.sizes().vec())
      throw ModelError(label + ": '" + name + "' has shape " + shape_to_string(src->shape) +
                       " but the detected architecture needs " +
                       shape_to_string(dst.sizes().vec()));
    dst.copy_(to_torch(*src).to(dst.scalar_type()));
    used.insert(name);
  };
  for (auto& p : module.named_parameters(true)) assign(p.key(), p.value());
  for (auto& b : module.named_buffers(true)) assign(b.key(), b.value());
  for (const auto& [name, t] : tensors)
    if (!used.count(name))
      throw ModelError(label + ": unexpected weight '" + name + "' for the detected architecture");
}

torch::nn::AnyModule build_model(const ModelSpec& s) {
  if (s.arch == "Compact") {
    CompactOptions o;
    o.num_in_ch = s.in_ch;
    o.num_out_ch = s.out_ch;
    o.upscale = s.scale;
    o.num_feat = s.get_int("num_feat");
    o.num_conv = s.get_int("num_conv");
    o.act_type = s.get("act_type");
    return torch::nn::AnyModule(Compact(o));
  }
  if (s.arch == "SPAN") {
    SPANOptions o;
    o.num_in_ch = s.in_ch;
    o.num_out_ch = s.out_ch;
    o.upscale = s.scale;
    o.feature_channels = s.get_int("feature_channels");
    o.norm = s.get_bool("norm");
    o.img_range = s.get_double("img_range");
    const std::string& mean = s.get("rgb_mean");
    if (std::sscanf(mean.c_str(), "%lf,%lf,%lf", &o.rgb_mean[0], &o.rgb_mean[1], &o.rgb_mean[2]) !=
        3)
      throw ModelError("SPAN: rgb_mean '" + mean + "' is not three comma-separated numbers");
    return torch::nn::AnyModule(SPAN(o));
  }
  if (s.arch == "RealCUGAN") {
    RealCUGANOptions o;
    o.scale = s.scale;
    o.in_ch = s.in_ch;
    o.out_ch = s.out_ch;
    o.fast = s.get_bool("fast");
    o.pro = s.get_bool("pro");
    return torch::nn::AnyModule(RealCUGAN(o));
  }
  if (s.arch == "LBO") {
    LBOOptions o;
    o.num_in_ch = s.in_ch;
    o.num_out_ch = s.out_ch;
    o.num_feat = s.get_int("num_feat");
    o.downscale = s.get_int("downscale");
    return torch::nn::AnyModule(LBO(o));
  }
  throw ModelError("cannot build unknown architecture '" + s.arch + "'");
}

namespace {

LoadedModel load_model_unnamed(const Checkpoint& ck, const std::string& label) {
  LoadedModel m;
  m.spec = detect_spec(ck.tensors, ck.metadata);
  m.format = ck.format;
  for (const auto& kv : ck.tensors)
    if (is_floating(kv.second.dtype)) {
      m.dtype = kv.second.dtype;
      break;
    }
  m.module = build_model(m.spec);
  load_state(*m.module.ptr(), ck.tensors, label);
  m.module.ptr()->eval();
  if (auto* span = m.module.ptr()->as<SPAN>()) span->reparameterize();
  for (const auto& p : m.module.ptr()->parameters()) m.param_count += p.numel();
  return m;
}

}  // namespace

LoadedModel load_model(const Checkpoint& ck, const std::string& label) {
  // Every error names the file: the architecture detection and the module's own shape checks
  // (LibTorch's c10::Error) see only tensors.
  const auto named = [&](const std::string& what) {
    return what.rfind(label, 0) == 0 ? what : label + ": " + what;
  };
  try {
    return load_model_unnamed(ck, label);
  } catch (const ModelError& e) {
    throw ModelError(named(e.what()));
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw ModelError(named(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    throw ModelError(named("the architecture its tensors describe does not fit in memory"));
  }
}

LoadedModel load_model(const std::string& path) {
  return load_model(read_checkpoint(path), path);
}

void save_model(const std::string& path, const torch::nn::Module& module, const ModelSpec& spec,
                DType dtype) {
  write_checkpoint(path, module_state(module, dtype), spec.to_metadata());
}

ModelInfo inspect_model(const std::string& path) {
  const Checkpoint ck = read_checkpoint(path);
  const LoadedModel m = load_model(ck, path);
  ModelInfo info;
  info.spec = m.spec;
  info.format = m.format;
  info.wrapper = ck.wrapper;
  info.dtype = m.dtype;
  info.param_count = m.param_count;
  info.tensor_count = ck.tensors.size();
  info.metadata = ck.metadata;
  return info;
}

ModelSpec convert_checkpoint(const std::string& in, const std::string& out,
                             const ConvertOptions& options) {
  Checkpoint ck = read_checkpoint(in);
  const LoadedModel check = load_model(ck, in);  // throws if the weights do not fit
  if (options.dtype) {
    const auto target = to_scalar(*options.dtype);
    for (auto& kv : ck.tensors)
      if (is_floating(kv.second.dtype)) kv.second = from_torch(to_torch(kv.second).to(target));
  }
  Metadata meta = ck.metadata;
  for (const auto& [k, v] : check.spec.to_metadata()) meta[k] = v;
  PthOptions pth;
  pth.also_params = options.also_params;
  write_checkpoint(out, ck.tensors, meta, pth);
  return check.spec;
}

void use_channels_last(torch::nn::Module& module) {
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace pf::models

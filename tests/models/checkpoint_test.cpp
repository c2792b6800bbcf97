// .pth / .safetensors readers and writers, without LibTorch: fixtures, round trips, hostile
// and broken files.
#include "models/checkpoint.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "models/fixtures.h"
#include "models/pickle.h"
#include "models/spec.h"
#include "models/zip.h"

using namespace pf::models;
using namespace std::string_literals;
using pf::ModelError;

namespace {

const char* const kAnimeVideo = "models/realesr-animevideov3.pth";
const char* const kJaNai = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";
const char* const kSpan = "models/2xLiveActionV1_SPAN.safetensors";

RawTensor f32(std::vector<int64_t> shape, float start) {
  RawTensor t;
  t.shape = std::move(shape);
  const int64_t n = checked_numel(t.shape, "t");
  t.bytes.resize(static_cast<size_t>(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const float v = start + 0.25f * static_cast<float>(i);
    std::memcpy(&t.bytes[static_cast<size_t>(i) * 4], &v, 4);
  }
  return t;
}

float at(const RawTensor& t, size_t i) {
  float v;
  std::memcpy(&v, &t.bytes[i * 4], 4);
  return v;
}

// Expects a ModelError whose message contains `needle`.
template <class F>
void expect_model_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::vector<uint8_t> bytes_of(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A .pth-shaped zip holding `pickle` as archive/data.pkl.
std::vector<uint8_t> zip_with_pickle(const std::vector<uint8_t>& pickle) {
  ZipWriter z;
  z.add("archive/data.pkl", pickle);
  z.add("archive/version", bytes_of("3\n"));
  return z.finish();
}

}  // namespace

TEST(PthReader, ReadsDeflatedRealEsrganCheckpoint) {
  PF_REQUIRE_FIXTURE(kAnimeVideo);
  const auto ck = read_checkpoint(pf::test::fixture(kAnimeVideo));
  EXPECT_EQ(ck.format, FileFormat::kPth);
  EXPECT_EQ(ck.wrapper, "params");
  ASSERT_EQ(ck.tensors.size(), 53u);  // 18 convs × 2 + 17 PReLU slopes
  EXPECT_EQ(ck.tensors.front().first, "body.0.weight");
  EXPECT_EQ(ck.tensors.front().second.shape, (std::vector<int64_t>{64, 3, 3, 3}));
  const RawTensor* last = find_tensor(ck.tensors, "body.34.weight");
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->shape, (std::vector<int64_t>{48, 64, 3, 3}));
  EXPECT_EQ(find_tensor(ck.tensors, "body.33.weight")->shape, (std::vector<int64_t>{64}));

  const ModelSpec s = detect_spec(ck.tensors, ck.metadata);
  EXPECT_EQ(s.arch, "Compact");
  EXPECT_EQ(s.scale, 4);
  EXPECT_EQ(s.in_ch, 3);
  EXPECT_EQ(s.out_ch, 3);
  EXPECT_EQ(s.get_int("num_feat"), 64);
  EXPECT_EQ(s.get_int("num_conv"), 16);
  EXPECT_EQ(s.get("act_type"), "prelu");
}

TEST(SafetensorsReader, ReadsAndDetectsCompactAndSpan) {
  PF_REQUIRE_FIXTURE(kJaNai);
  PF_REQUIRE_FIXTURE(kSpan);
  const auto janai = read_checkpoint(pf::test::fixture(kJaNai));
  EXPECT_EQ(janai.format, FileFormat::kSafetensors);
  EXPECT_EQ(janai.tensors.size(), 53u);
  EXPECT_EQ(janai.metadata.at("author"), "the-database");
  const ModelSpec c = detect_spec(janai.tensors, janai.metadata);
  EXPECT_EQ(c.arch, "Compact");
  EXPECT_EQ(c.scale, 2);
  EXPECT_EQ(c.get_int("num_feat"), 64);
  EXPECT_EQ(c.get_int("num_conv"), 16);

  const auto span = read_checkpoint(pf::test::fixture(kSpan));
  EXPECT_EQ(span.tensors.size(), 205u);
  EXPECT_EQ(span.tensors.front().first, "no_norm");
  const ModelSpec s = detect_spec(span.tensors, span.metadata);
  EXPECT_EQ(s.arch, "SPAN");
  EXPECT_EQ(s.scale, 2);
  EXPECT_EQ(s.get_int("feature_channels"), 48);
  EXPECT_FALSE(s.get_bool("norm"));
}

TEST(Safetensors, RewriteKeepsOrderDataAndMetadata) {
  PF_REQUIRE_FIXTURE(kSpan);
  const auto original = read_file_bytes(pf::test::fixture(kSpan));
  const auto ck = read_safetensors(original, "span");
  const auto rewritten = write_safetensors(ck.tensors, ck.metadata);
  EXPECT_EQ(rewritten.size() % 8, original.size() % 8);
  const auto again = read_safetensors(rewritten, "rewritten");
  ASSERT_EQ(again.tensors.size(), ck.tensors.size());
  for (size_t i = 0; i < ck.tensors.size(); ++i) {
    EXPECT_EQ(again.tensors[i].first, ck.tensors[i].first);
    EXPECT_EQ(again.tensors[i].second.bytes, ck.tensors[i].second.bytes);
  }
  EXPECT_EQ(again.metadata, ck.metadata);
}

TEST(RoundTrip, PthAndSafetensorsAreLossless) {
  NamedTensors tensors{{"body.0.weight", f32({4, 3, 3, 3}, -2.f)}, {"body.0.bias", f32({4}, 1.f)}};
  RawTensor half;
  half.dtype = DType::kF16;
  half.shape = {2};
  half.bytes = {0x00, 0x3c, 0x00, 0xc0};  // 1.0, -2.0
  tensors.emplace_back("half", half);
  const Metadata meta{{"arch", "Compact"}, {"scale", "2"}};

  for (bool also_params : {false, true}) {
    const auto pth = read_pth(write_pth(tensors, meta, {"params_ema", also_params}), "mem.pth");
    EXPECT_EQ(pth.wrapper, "params_ema");
    EXPECT_EQ(pth.metadata, meta);
    ASSERT_EQ(pth.tensors.size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      EXPECT_EQ(pth.tensors[i].first, tensors[i].first);
      EXPECT_EQ(pth.tensors[i].second.dtype, tensors[i].second.dtype);
      EXPECT_EQ(pth.tensors[i].second.shape, tensors[i].second.shape);
      EXPECT_EQ(pth.tensors[i].second.bytes, tensors[i].second.bytes);
    }
  }
  const auto st = read_safetensors(write_safetensors(tensors, meta), "mem.safetensors");
  EXPECT_EQ(st.metadata, meta);
  ASSERT_EQ(st.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    EXPECT_EQ(st.tensors[i].second.bytes, tensors[i].second.bytes);
  EXPECT_FLOAT_EQ(at(st.tensors[0].second, 5), -2.f + 1.25f);
}

TEST(RoundTrip, RealCheckpointPthToSafetensorsAndBack) {
  PF_REQUIRE_FIXTURE(kAnimeVideo);
  const auto ck = read_checkpoint(pf::test::fixture(kAnimeVideo));
  const auto st = read_safetensors(write_safetensors(ck.tensors, {}), "st");
  const auto pth = read_pth(write_pth(st.tensors, {}), "pth");
  ASSERT_EQ(pth.tensors.size(), ck.tensors.size());
  for (size_t i = 0; i < ck.tensors.size(); ++i) {
    EXPECT_EQ(pth.tensors[i].first, ck.tensors[i].first);
    EXPECT_EQ(pth.tensors[i].second.bytes, ck.tensors[i].second.bytes);
  }
}

TEST(StateDict, UnwrapsAndStripsPrefixes) {
  // {"state_dict": {"module.body.0.weight": t}} (a DataParallel checkpoint) → "body.0.weight"
  NamedTensors inner{{"module.body.0.weight", f32({2}, 0.f)},
                     {"module.body.0.bias", f32({1}, 3.f)}};
  ZipWriter z;
  z.add("anyname/data.pkl", pickle_state_dict({"state_dict"}, inner, {}, "meta"));
  z.add("anyname/data/0", inner[0].second.bytes);
  z.add("anyname/data/1", inner[1].second.bytes);
  const auto ck = read_pth(z.finish(), "wrapped.pth");
  EXPECT_EQ(ck.wrapper, "state_dict");
  ASSERT_EQ(ck.tensors.size(), 2u);
  EXPECT_EQ(ck.tensors[0].first, "body.0.weight");
  EXPECT_EQ(ck.tensors[1].first, "body.0.bias");
  EXPECT_FLOAT_EQ(at(ck.tensors[1].second, 0), 3.f);

  NamedTensors gan{{"netG.a", f32({1}, 0.f)}, {"netG.b", f32({1}, 0.f)}};
  const auto st = read_safetensors(write_safetensors(gan, {}), "gan.safetensors");
  EXPECT_EQ(st.tensors[0].first, "a");
  EXPECT_EQ(st.tensors[1].first, "b");
}

TEST(Python, TorchLoadWeightsOnlyAcceptsOurPth) {
  PF_REQUIRE_FIXTURE(kJaNai);
  const std::string python = "/usr/bin/python3";
  if (!std::filesystem::exists(python) ||
      std::system((python + " -c 'import torch, numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << python << " with torch and numpy is not available";
  const auto ck = read_checkpoint(pf::test::fixture(kJaNai));
  const std::string out = pf::test::temp_path("janai.pth");
  write_file_bytes(out, write_pth(ck.tensors, {{"arch", "Compact"}}, {"params_ema", true}));
  const std::string script =
      std::string(PAIRFORGE_SOURCE_DIR) + "/tests/models/python/check_pth.py";
  const std::string cmd = python + " " + script + " " + out + " " + pf::test::fixture(kJaNai);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::remove(out.c_str());
}

// --- hostile and broken files -------------------------------------------------------------

TEST(Hostile, PickleCallingOsSystemIsRefused) {
  // GLOBAL os.system; ('touch /tmp/pwned',); REDUCE
  std::string p =
      "\x80\x02"
      "cos\nsystem\n"
      "X\x10\x00\x00\x00touch /tmp/pwned"
      "\x85R.";
  expect_model_error([&] { read_pth(zip_with_pickle(bytes_of(p)), "evil.pth"); }, "os.system");
  // The same through STACK_GLOBAL (protocol 4).
  std::string q =
      "\x80\x04"
      "\x8c\x08"
      "builtins"
      "\x8c\x04"
      "eval"
      "\x93"
      "\x8c\x01"
      "1"
      "\x85R.";
  expect_model_error([&] { unpickle(bytes_of(q), "evil.pkl"); }, "builtins.eval");
}

TEST(Hostile, UnknownOpcodeAndBrokenPickleAreErrors) {
  expect_model_error([&] { unpickle(bytes_of(std::string("\x80\x02") + "i__main__\nX\n."), "p"); },
                     "opcode 0x69");
  expect_model_error([&] { unpickle(bytes_of("\x80\x02}("), "p"); }, "truncated");
  expect_model_error([&] { unpickle(bytes_of("\x80\x02h\x05."), "p"); }, "memo key 5");
  expect_model_error([&] { unpickle(bytes_of("\x80\x02s."), "p"); }, "underflow");
  // Deep nesting and a list that contains itself load without exhausting the stack or
  // leaking (ASan's leak check runs in the asan preset).
  std::string deep = "\x80\x02";
  for (int i = 0; i < 200000; ++i) deep += "]";
  for (int i = 0; i < 199999; ++i) deep += "a";
  deep += ".";
  EXPECT_EQ(unpickle(bytes_of(deep), "p").root->items.size(), 1u);
  const auto cycle = unpickle(bytes_of(std::string("\x80\x02]q\x00h\x00"
                                                   "a.",
                                                   9)),
                              "p");
  EXPECT_EQ(cycle.root->items.at(0), cycle.root);
}

TEST(Hostile, TruncatedAndCorruptZip) {
  PF_REQUIRE_FIXTURE(kAnimeVideo);
  const auto good = read_file_bytes(pf::test::fixture(kAnimeVideo));
  // Every truncation point gives a ModelError, never a crash.
  int errors = 0, tries = 0;
  for (size_t cut = 0; cut < good.size(); cut += good.size() / 37 + 1, ++tries) {
    std::vector<uint8_t> bad(good.begin(), good.begin() + static_cast<ptrdiff_t>(cut));
    try {
      read_pth(bad, "cut.pth");
    } catch (const ModelError&) {
      ++errors;
    }
  }
  EXPECT_EQ(errors, tries);
  expect_model_error(
      [&] { read_pth(std::vector<uint8_t>(good.begin(), good.end() - 40), "cut.pth"); },
      "end-of-central-directory");
  // Flip bytes inside the compressed data: inflate or the CRC check must notice.
  auto flipped = good;
  for (size_t i = 200000; i < 200064; ++i) flipped[i] ^= 0x5a;
  expect_model_error([&] { read_pth(flipped, "flipped.pth"); }, "entry");
}

TEST(Hostile, LegacyPthIsReportedAsUnsupported) {
  std::vector<uint8_t> legacy = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
  expect_model_error([&] { read_pth(legacy, "old.pth"); }, "legacy");
}

TEST(Hostile, SafetensorsHeaderChecks) {
  const NamedTensors one{{"w", f32({2, 2}, 0.f)}};
  const auto good = write_safetensors(one, {});
  const auto with_header = [&](const std::string& json, size_t data_bytes) {
    std::string file(8, '\0');
    for (int i = 0; i < 8; ++i) file[i] = static_cast<char>(uint64_t{json.size()} >> (8 * i));
    file += json + std::string(data_bytes, '\0');
    return bytes_of(file);
  };
  expect_model_error(
      [&] {
        read_safetensors(
            with_header(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,64]}})", 16), "s");
      },
      "data_offsets [0, 64]");
  expect_model_error(
      [&] {
        read_safetensors(
            with_header(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}})", 16), "s");
      },
      "needs 16");
  expect_model_error(
      [&] {
        read_safetensors(with_header(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8),
                         "s");
      },
      "unknown dtype");
  expect_model_error(
      [&] {
        read_safetensors(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                     12),
                         "s");
      },
      "overlap");
  expect_model_error([&] { read_safetensors(with_header("{not json", 0), "s"); }, "not valid JSON");
  auto huge = good;
  huge[5] = 0x7f;  // header length ~ 2^47
  expect_model_error([&] { read_safetensors(huge, "s"); }, "exceeds");
  auto past = good;
  past[0] = static_cast<uint8_t>(past[0] + 64);
  expect_model_error([&] { read_safetensors(past, "s"); }, "runs past the end");
  expect_model_error([&] { read_safetensors({1, 2, 3}, "s"); }, "too small");
}

TEST(Hostile, PthTensorOutsideItsStorage) {
  // A tensor claiming 4 elements backed by a 2-element storage.
  NamedTensors t{{"w", f32({4}, 0.f)}};
  const auto pickle = pickle_state_dict({"params"}, t, {}, "m");
  ZipWriter z;
  z.add("archive/data.pkl", pickle);
  z.add("archive/data/0", std::vector<uint8_t>(8, 0));
  expect_model_error([&] { read_pth(z.finish(), "small.pth"); }, "storage");
}

namespace {

// LONG1 with 8 bytes: any int64.
std::string pickled_int(int64_t v) {
  std::string s = "\x8a\x08";
  for (int i = 0; i < 8; ++i) s += static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  return s;
}
std::string pickled_tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (int64_t x : v) s += pickled_int(x);
  return s + "t";
}

// {"params": {"w": _rebuild_tensor_v2(FloatStorage "0" of `numel`, offset, size, stride)}}
// holding `storage_bytes` bytes in archive/data/0: a view as torch.save writes it.
std::vector<uint8_t> pth_with_view(int64_t numel, int64_t offset, const std::vector<int64_t>& size,
                                   const std::vector<int64_t>& stride, size_t storage_bytes) {
  // (""s keeps the NULs; literals are split where a hex escape would swallow the next digit.)
  const std::string p = "\x80\x02}(X\x06\x00\x00\x00params}(X\x01\x00\x00\x00w"s +
                        "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
                        "ctorch\nFloatStorage\nX\x01\x00\x00\x00"
                        "0X\x03\x00\x00\x00"
                        "cpu"s +
                        pickled_int(numel) + "tQ" + pickled_int(offset) + pickled_tuple(size) +
                        pickled_tuple(stride) +
                        "\x89"
                        "ccollections\nOrderedDict\n)RtRuu.";
  ZipWriter z;
  z.add("archive/data.pkl", bytes_of(p));
  std::vector<uint8_t> storage(storage_bytes, 0);  // floats 0, 1, 2, ...
  for (size_t i = 0; i + 4 <= storage_bytes; i += 4) {
    const float v = static_cast<float>(i / 4);
    std::memcpy(&storage[i], &v, 4);
  }
  z.add("archive/data/0", storage);
  return z.finish();
}

std::vector<float> values_of(const RawTensor& t) {
  std::vector<float> v(t.bytes.size() / 4);
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

}  // namespace

TEST(PthReader, StridedViewsCopyTheRightElements) {
  const auto value = [](int64_t numel, int64_t offset, std::vector<int64_t> size,
                        std::vector<int64_t> stride) {
    return values_of(
        read_pth(pth_with_view(numel, offset, size, stride, static_cast<size_t>(numel) * 4), "v")
            .tensors.at(0)
            .second);
  };
  EXPECT_EQ(value(6, 0, {2, 3}, {3, 1}), (std::vector<float>{0, 1, 2, 3, 4, 5}));  // contiguous
  EXPECT_EQ(value(6, 0, {3, 2}, {1, 3}), (std::vector<float>{0, 3, 1, 4, 2, 5}));  // transpose
  EXPECT_EQ(value(12, 1, {2, 2, 2}, {6, 3, 1}),  // contiguous rows, strided between them
            (std::vector<float>{1, 2, 4, 5, 7, 8, 10, 11}));
  EXPECT_EQ(value(8, 2, {3}, {2}), (std::vector<float>{2, 4, 6}));  // every other one
  EXPECT_EQ(value(4, 3, {}, {}), (std::vector<float>{3}));          // a scalar
  EXPECT_EQ(value(5, 1, {2, 1, 2}, {2, 7, 1}), (std::vector<float>{1, 2, 3, 4}));  // odd size-1 dim
}

TEST(Hostile, ViewsAreBoundedBeforeAnythingIsAllocated) {
  // The helper's well-formed view: a 2x2 transpose of 4 floats.
  const auto ok = read_pth(pth_with_view(4, 0, {2, 2}, {1, 2}, 16), "ok.pth");
  ASSERT_EQ(ok.tensors.size(), 1u);
  EXPECT_EQ(values_of(ok.tensors[0].second), (std::vector<float>{0, 2, 1, 3}));
  // Strides whose products overflow int64 (undefined behaviour in the bounds check before).
  expect_model_error([&] { read_pth(pth_with_view(4, 0, {4}, {int64_t{1} << 62}, 16), "p"); },
                     "cannot fit any storage");
  expect_model_error([&] { read_pth(pth_with_view(4, INT64_MAX, {2}, {1}, 16), "p"); },
                     "cannot fit any storage");
  // One float repeated 2^40 times: 4 TiB asked of the allocator before (std::bad_alloc, an
  // "internal error"); a small repeat (a broadcast buffer) still reads.
  expect_model_error([&] { read_pth(pth_with_view(1, 0, {int64_t{1} << 40}, {0}, 4), "p"); },
                     "repeats it");
  EXPECT_EQ(read_pth(pth_with_view(1, 0, {3, 5}, {0, 0}, 4), "p").tensors[0].second.bytes.size(),
            60u);
}

TEST(Hostile, AWrapperDictThatContainsItselfIsRefused) {
  // d = {}; d["params_ema"] = d  (through the memo): unwrapping it used to loop forever.
  const std::string p = "\x80\x02}q\x00X\x0a\x00\x00\x00params_emah\x00s."s;
  expect_model_error([&] { read_pth(zip_with_pickle(bytes_of(p)), "loop.pth"); },
                     "'params_ema' dict contains itself");
}

TEST(Detect, UnknownKeysAreReported) {
  NamedTensors t{{"encoder.layer.0.weight", f32({2}, 0.f)}};
  expect_model_error([&] { detect_spec(t, {}); }, "unknown architecture");
}

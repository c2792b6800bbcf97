"""Loads an LBO .pth the way AnimeSR's code does, with Python's standard library only.

AnimeSR (TencentARC/AnimeSR, animesr/data/ffmpeg_anime_lbo_dataset.py) loads an operator with
    self.lbo.load_state_dict(torch.load(path, map_location=...)['params'])
into SimpleDegradationArch (animesr/archs/simple_degradation_arch.py): pixel_unshuffle(2), then
main = Sequential(Conv2d(12, F, 3, 1, 1), LeakyReLU, Conv2d(F, F, 3, 1, 1), LeakyReLU,
Conv2d(F, 3, 3, 1, 1)), whose state_dict is main.{0,2,4}.{weight,bias}.

With torch installed, that is what is done: torch.load, then load_state_dict(strict=True) into
the module built as SimpleDegradationArch builds it, and a forward pass. Without torch,
torch.load's unpickling of a zip checkpoint is done by the same
mechanism (pickle with persistent ids naming the storages in <archive>/data/, tensors rebuilt
by torch._utils._rebuild_tensor_v2, nothing else allowed), and load_state_dict's strict check is
the comparison of keys and shapes with the module's. The values are compared bit for bit with
the .safetensors written next to it.

Usage: animesr_load.py LBO.pth LBO.safetensors NUM_FEAT   (exit 0 and "ok" when loadable)
"""
import collections
import json
import pickle
import struct
import sys
import zipfile

STORAGES = {"FloatStorage": ("f", 4), "HalfStorage": ("e", 2)}


class Storage:
    def __init__(self, kind, data):
        self.kind, self.data = kind, data


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), stride

    def values(self):
        code, width = STORAGES[self.storage.kind]
        n = 1
        for d in self.size:
            n *= d
        start = self.offset * width
        return struct.unpack("<%d%s" % (n, code), self.storage.data[start : start + n * width])


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, *rest):
    return Tensor(storage, offset, size, stride)


class TorchUnpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in STORAGES:
            return name
        raise pickle.UnpicklingError("global %s.%s is not allowed" % (module, name))

    def persistent_load(self, pid):
        kind, storage_type, key, location, numel = pid
        assert kind == "storage", pid
        return Storage(storage_type, self.archive.read("%s/data/%s" % (self.prefix, key)))


def torch_load(path):
    with zipfile.ZipFile(path) as archive:
        pkl = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        assert len(pkl) == 1, "not a torch zip checkpoint"
        prefix = pkl[0].split("/")[0]
        with archive.open(pkl[0]) as f:
            return TorchUnpickler(f, archive, prefix).load()


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[8 + n + begin : 8 + n + end]
        out[name] = (tuple(info["shape"]), struct.unpack("<%df" % (len(raw) // 4), raw))
    return out


def with_torch(pth, safetensors, feat):
    """AnimeSR's own way: True when done, False when torch is not importable."""
    try:
        import torch
        from torch import nn
        from torch.nn import functional as F
    except ImportError:
        return False

    class SimpleDegradationArch(nn.Module):
        def __init__(self, num_in_ch=3, num_out_ch=3, num_feat=64, downscale=2):
            super().__init__()
            self.downscale = downscale
            self.main = nn.Sequential(
                nn.Conv2d(num_in_ch * downscale * downscale, num_feat, 3, 1, 1),
                nn.LeakyReLU(0.2, True),
                nn.Conv2d(num_feat, num_feat, 3, 1, 1),
                nn.LeakyReLU(0.2, True),
                nn.Conv2d(num_feat, num_out_ch, 3, 1, 1),
            )

        def forward(self, x):
            return self.main(F.pixel_unshuffle(x, self.downscale))

    lbo = SimpleDegradationArch(num_feat=feat)
    lbo.load_state_dict(torch.load(pth, map_location="cpu")["params"])  # strict
    reference = read_safetensors(safetensors)
    for name, tensor in lbo.state_dict().items():
        assert tuple(tensor.shape) == reference[name][0], name
        assert tensor.flatten().tolist() == list(reference[name][1]), name
    with torch.no_grad():
        out = lbo(torch.rand(1, 3, 32, 48))
    assert tuple(out.shape) == (1, 3, 16, 24), out.shape
    print("ok: torch.load(path)['params'] loads strictly into SimpleDegradationArch (torch %s)"
          % torch.__version__)
    return True


def main():
    pth, safetensors, feat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if with_torch(pth, safetensors, feat):
        return
    state = torch_load(pth)["params"]  # what AnimeSR reads
    expected = collections.OrderedDict(
        [
            ("main.0.weight", (feat, 12, 3, 3)),
            ("main.0.bias", (feat,)),
            ("main.2.weight", (feat, feat, 3, 3)),
            ("main.2.bias", (feat,)),
            ("main.4.weight", (3, feat, 3, 3)),
            ("main.4.bias", (3,)),
        ]
    )
    # load_state_dict(strict=True): no missing key, no unexpected key, every shape equal.
    assert list(state.keys()) == list(expected.keys()), "keys %s" % list(state.keys())
    reference = read_safetensors(safetensors)
    for name, shape in expected.items():
        assert state[name].size == shape, "%s: %s, expected %s" % (name, state[name].size, shape)
        assert state[name].storage.kind == "FloatStorage", name
        assert reference[name][0] == shape and reference[name][1] == state[name].values(), name
    print("ok: torch.load(path)['params'] holds %s" % ", ".join(expected))


if __name__ == "__main__":
    main()

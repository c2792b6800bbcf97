"""GAN training's parts written independently in Python torch, to check pairforge's C++ against:
Real-ESRGAN's UNetDiscriminatorSN (torch.nn.utils.spectral_norm), traiNNer-redux's DUnet
(torch.nn.utils.parametrizations.spectral_norm and spandrel's DySample), and the perceptual and
LDL losses as traiNNer-redux's perceptual_fp16_loss.py and ldl_loss.py compute them.

The spectral norms are torch's own, and the modules are loaded with load_state_dict(strict=True),
so a file pairforge writes must carry exactly the key names PyTorch expects.

Usage:
  gan_reference.py disc unetdiscriminatorsn|dunet NUM_FEAT WEIGHTS INPUT.safetensors OUT.npy
      the weights (a .pth with `params`) in a training-mode discriminator; two forward passes of
      input "x" (each one power iteration); writes the second output
  gan_reference.py perceptual VGG.pth CRITERION INPUT.safetensors OUT.npy
      the loss of "x" against "y" (N, 3, H, W) with the criterion's default layers; writes
      [loss, d loss / d x ...] flattened
  gan_reference.py ldl CRITERION INPUT.safetensors OUT.npy
      LDL of "out" against "gt" with the EMA output "ema"; writes [loss, d loss / d out ...]"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm
from torch.nn.utils.parametrizations import spectral_norm as param_spectral_norm


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        arr = np.frombuffer(data[8 + n + a : 8 + n + b], dtype=np.float32).reshape(v["shape"])
        out[k] = torch.from_numpy(arr.copy())
    return out


class UNetDiscriminatorSN(nn.Module):
    def __init__(self, num_in_ch=3, num_feat=64, skip_connection=True):
        super().__init__()
        self.skip_connection = skip_connection
        f = num_feat
        self.conv0 = nn.Conv2d(num_in_ch, f, 3, 1, 1)
        self.conv1 = spectral_norm(nn.Conv2d(f, f * 2, 4, 2, 1, bias=False))
        self.conv2 = spectral_norm(nn.Conv2d(f * 2, f * 4, 4, 2, 1, bias=False))
        self.conv3 = spectral_norm(nn.Conv2d(f * 4, f * 8, 4, 2, 1, bias=False))
        self.conv4 = spectral_norm(nn.Conv2d(f * 8, f * 4, 3, 1, 1, bias=False))
        self.conv5 = spectral_norm(nn.Conv2d(f * 4, f * 2, 3, 1, 1, bias=False))
        self.conv6 = spectral_norm(nn.Conv2d(f * 2, f, 3, 1, 1, bias=False))
        self.conv7 = spectral_norm(nn.Conv2d(f, f, 3, 1, 1, bias=False))
        self.conv8 = spectral_norm(nn.Conv2d(f, f, 3, 1, 1, bias=False))
        self.conv9 = nn.Conv2d(f, 1, 3, 1, 1)

    def forward(self, x):
        lr = lambda t: F.leaky_relu(t, 0.2)
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        x0 = lr(self.conv0(x))
        x1 = lr(self.conv1(x0))
        x2 = lr(self.conv2(x1))
        x3 = lr(self.conv3(x2))
        x4 = lr(self.conv4(up(x3)))
        if self.skip_connection:
            x4 = x4 + x2
        x5 = lr(self.conv5(up(x4)))
        if self.skip_connection:
            x5 = x5 + x1
        x6 = lr(self.conv6(up(x5)))
        if self.skip_connection:
            x6 = x6 + x0
        out = lr(self.conv7(x6))
        out = lr(self.conv8(out))
        return self.conv9(out)


class DySample(nn.Module):
    def __init__(self, channels, scale=2, groups=4):
        super().__init__()
        self.scale, self.groups = scale, groups
        out = 2 * groups * scale**2
        self.offset = nn.Conv2d(channels, out, 1)
        self.scope = nn.Conv2d(channels, out, 1, bias=False)
        h = torch.arange((-scale + 1) / 2, (scale - 1) / 2 + 1) / scale
        pos = torch.stack(torch.meshgrid([h, h], indexing="ij")).transpose(1, 2)
        self.register_buffer("init_pos", pos.repeat(1, groups, 1).reshape(1, -1, 1, 1))

    def forward(self, x):
        offset = self.offset(x) * self.scope(x).sigmoid() * 0.5 + self.init_pos
        b, _, h, w = offset.shape
        offset = offset.view(b, 2, -1, h, w)
        ch, cw = torch.arange(h) + 0.5, torch.arange(w) + 0.5
        coords = torch.stack(torch.meshgrid([cw, ch], indexing="ij")).transpose(1, 2)
        coords = coords.unsqueeze(1).unsqueeze(0).type(x.dtype)
        norm = torch.tensor([w, h], dtype=x.dtype).view(1, 2, 1, 1, 1)
        coords = 2 * (coords + offset) / norm - 1
        s = self.scale
        coords = (
            F.pixel_shuffle(coords.reshape(b, -1, h, w), s)
            .view(b, 2, -1, s * h, s * w)
            .permute(0, 2, 3, 4, 1)
            .contiguous()
            .flatten(0, 1)
        )
        out = F.grid_sample(
            x.reshape(b * self.groups, -1, h, w),
            coords,
            mode="bilinear",
            align_corners=False,
            padding_mode="border",
        )
        return out.view(b, -1, s * h, s * w)


class DUnet(nn.Module):
    def __init__(self, num_in_ch=3, num_feat=64):
        super().__init__()
        f = num_feat
        down = lambda d: nn.Sequential(param_spectral_norm(nn.Conv2d(d, d * 2, 3, 2, 1)), nn.Mish())
        up = lambda d: nn.Sequential(DySample(d, 2, 4), param_spectral_norm(nn.Conv2d(d, d // 2, 3, 1, 1)))
        self.in_to_dim = nn.Conv2d(num_in_ch, f, 3, 1, 1)
        self.e_x1, self.e_x2, self.e_x3 = down(f), down(f * 2), down(f * 4)
        self.up1, self.up2, self.up3 = up(f * 8), up(f * 4), up(f * 2)
        self.end_conv = nn.Sequential(
            param_spectral_norm(nn.Conv2d(f, f, 3, 1, 1, bias=False)),
            nn.Mish(),
            param_spectral_norm(nn.Conv2d(f, f, 3, 1, 1, bias=False)),
            nn.Mish(),
            nn.Conv2d(f, 1, 3, 1, 1),
        )

    def forward(self, x):
        x0 = self.in_to_dim(x)
        x1 = self.e_x1(x0)
        x2 = self.e_x2(x1)
        x3 = self.e_x3(x2)
        y = self.up1(x3) + x2
        y = self.up2(y) + x1
        y = self.up3(y) + x0
        return self.end_conv(y)


def disc(arch, num_feat, weights, inputs, out):
    net = UNetDiscriminatorSN(num_feat=num_feat) if arch == "unetdiscriminatorsn" else DUnet(num_feat=num_feat)
    state = torch.load(weights, map_location="cpu", weights_only=True)["params"]
    net.load_state_dict(state, strict=True)
    net.train()
    x = read_safetensors(inputs)["x"]
    with torch.no_grad():
        net(x)
        y = net(x)
    np.save(out, y.numpy().astype(np.float32))


# torchvision VGG19 `features` (cfg "E") as traiNNer-redux's VGG cuts it.
VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def vgg_names():
    names, block, conv = [], 1, 1
    for c in VGG19:
        if c == "M":
            names.append(f"pool{block}")
            block, conv = block + 1, 1
        else:
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
            conv += 1
    return names


def vgg_features(path, layers):
    sd = torch.load(path, map_location="cpu", weights_only=True)
    mods, cin = [], 3
    for c in VGG19:
        if c == "M":
            mods.append(nn.MaxPool2d(2, 2))
        else:
            mods += [nn.Conv2d(cin, c, 3, padding=1), nn.ReLU(inplace=False)]
            cin = c
    features = nn.Sequential(*mods)
    features.load_state_dict({k[len("features.") :]: v for k, v in sd.items() if k.startswith("features.")})
    first = features[0]
    rep = nn.Conv2d(3, 64, 3, padding=1, padding_mode="replicate")
    rep.weight.data.copy_(first.weight.data)
    rep.bias.data.copy_(first.bias.data)
    features[0] = rep
    names = vgg_names()
    idx = sorted(names.index(l) for l in layers)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def run(x):
        h = (x - mean) / std
        out = {}
        for i in range(idx[-1] + 1):
            h = features[i](h)
            if i in idx:
                out[names[i]] = h
        return out

    return run


def charbonnier(x, y):
    return torch.sqrt((x - y) ** 2 + 1e-12).mean()


def pd(x, y):
    x = x / (torch.sum(x, dim=(2, 3), keepdim=True) + 1e-14)
    y = y / (torch.sum(y, dim=(2, 3), keepdim=True) + 1e-14)
    cx = torch.cumsum(x.view(x.size(0), x.size(1), -1), dim=-1)
    cy = torch.cumsum(y.view(y.size(0), y.size(1), -1), dim=-1)
    return torch.sum(torch.abs(cx - cy), dim=-1).mean()


def perceptual(vgg_path, criterion, inputs, out):
    conv_w = {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1, "conv4_4": 1, "conv5_4": 1}
    relu_w = {"relu1_2": 0.1, "relu2_2": 0.1, "relu3_4": 1, "relu4_4": 1, "relu5_4": 1}
    weights = {}
    if criterion in ("l1", "charbonnier", "pd+l1"):
        weights |= conv_w
    if criterion in ("pd", "pd+l1"):
        weights |= relu_w
    run = vgg_features(vgg_path, list(weights))
    t = read_safetensors(inputs)
    x = t["x"].clone().requires_grad_(True)
    fx, fy = run(x), run(t["y"])
    total = torch.zeros(())
    for k in sorted(fx, key=lambda n: vgg_names().index(n)):
        alpha = 0.0 if k.startswith("conv") else 1.0
        layer = torch.zeros(())
        if alpha < 1:
            c1 = charbonnier if criterion == "charbonnier" else (lambda a, b: (a - b).abs().mean())
            layer = layer + c1(fx[k], fy[k]) * (1 - alpha)
        if alpha > 0:
            layer = layer + pd(fx[k], fy[k]) * alpha * 0.01
        total = total + layer * weights[k]
    loss = torch.clamp(total, min=0)
    loss.backward()
    np.save(out, np.concatenate([[loss.item()], x.grad.numpy().ravel()]).astype(np.float32))


def ldl(criterion, inputs, out_path):
    t = read_safetensors(inputs)
    out = t["out"].clone().requires_grad_(True)
    gt, ema = t["gt"], t["ema"]
    r_ema = torch.sum(torch.abs(gt - ema), 1, keepdim=True)
    r_sr = torch.sum(torch.abs(gt - out), 1, keepdim=True)
    patch = torch.var(r_sr.clone(), dim=(-1, -2, -3), keepdim=True) ** (1 / 5)
    pad = 3
    padded = F.pad(r_sr.clone(), [pad, pad, pad, pad], mode="reflect")
    windows = padded.unfold(2, 7, 1).unfold(3, 7, 1)
    pixel = torch.var(windows, dim=(-1, -2), unbiased=True, keepdim=True).squeeze(-1).squeeze(-1)
    w = patch * pixel
    w[r_sr < r_ema] = 0
    a, b = w * out, w * gt
    if criterion == "l1":
        loss = F.l1_loss(a, b)
    elif criterion == "l2":
        loss = F.mse_loss(a, b)
    else:
        loss = charbonnier(a, b)
    loss.backward()
    np.save(out_path, np.concatenate([[loss.item()], out.grad.numpy().ravel()]).astype(np.float32))


if __name__ == "__main__":
    torch.set_num_threads(1)
    mode = sys.argv[1]
    if mode == "disc":
        disc(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])
    elif mode == "perceptual":
        perceptual(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif mode == "ldl":
        ldl(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown mode {mode}")

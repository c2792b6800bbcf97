"""Real-CUGAN (UpCunet v3) written from the equations with torch.nn.functional, as an independent
check of src/models/realcugan.cpp and src/infer/cugan_tiles.cpp.

The tiled forwards follow bilibili's upcunet_v3.py (Real-CUGAN's reference code, bilibili/ailab):
the padded image is cut into equal tiles, every tile runs up to an SE block, the block's channel
mean is the average of the tiles' means, and only then do the tiles go on. cache_mode 0 and 1 keep
each tile's stage outputs (1: as 8 bits between the tensor's min and max), 3 recomputes the earlier
stages for every block, 2 takes the means from the tiles in odd rows and columns in one running
pass and then recomputes every tile. Where upcunet_v3.py applies alpha differs between these, and
that is reproduced here, because the point is to give its numbers.

Usage:
  realcugan_reference.py MODEL.pth INPUT.safetensors OUT.npy SCALE FAST PRO ALPHA
      whole image, the raw float32 output (C, H*s, W*s)
  realcugan_reference.py --cases CASES.json
      a list of {"model", "input", "out", "scale", "pro", "alpha", "tile_mode", "cache_mode"}, with
      an optional "crop": [h, w] that replaces tile_mode's tile size (and lets cache_mode 2 run
      on fewer than 3 x 3 tiles); writes upcunet_v3.py's uint8 output (C, H*s, W*s) for each
  realcugan_reference.py --crops QUERIES.json OUT.json
      tile_mode's tile size for each [scale, height, width, tile_mode] query, as [h, w]
Inputs are "x" (1, C, H, W) float32 in [0, 1] in the safetensors file; weights are params_ema."""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def lrelu(x):
    return F.leaky_relu(x, 0.1)


def crop(x, n):
    return x[:, :, n:-n, n:-n]


def mean(x):
    return x.mean(dim=(2, 3), keepdim=True)


class Net:
    def __init__(self, w):
        self.w = w

    def conv(self, name, x, stride=1):
        return F.conv2d(x, self.w[f"{name}.weight"], self.w.get(f"{name}.bias"), stride=stride)

    def deconv(self, name, x, stride, padding):
        return F.conv_transpose2d(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"], stride=stride, padding=padding)

    def body(self, name, x):
        return lrelu(self.conv(f"{name}.conv.2", lrelu(self.conv(f"{name}.conv.0", x))))

    def se(self, name, z, m):
        g = torch.sigmoid(self.conv(f"{name}.seblock.conv2", F.relu(self.conv(f"{name}.seblock.conv1", m))))
        return z * g

    def unet_conv(self, name, x):
        z = self.body(name, x)
        if f"{name}.seblock.conv1.weight" in self.w:
            z = self.se(name, z, mean(z))
        return z

    def unet1(self, x, bottom_stride, bottom_padding):
        x1 = self.unet_conv("unet1.conv1", x)
        x2 = lrelu(self.conv("unet1.conv1_down", x1, stride=2))
        x1 = crop(x1, 4)
        x2 = lrelu(self.deconv("unet1.conv2_up", self.unet_conv("unet1.conv2", x2), 2, 0))
        x3 = lrelu(self.conv("unet1.conv3", x1 + x2))
        return self.deconv("unet1.conv_bottom", x3, bottom_stride, bottom_padding)

    def unet2(self, x, alpha):
        x1 = self.unet_conv("unet2.conv1", x)
        x2 = lrelu(self.conv("unet2.conv1_down", x1, stride=2))
        x1 = crop(x1, 16)
        x2 = self.unet_conv("unet2.conv2", x2)
        x3 = lrelu(self.conv("unet2.conv2_down", x2, stride=2))
        x2 = crop(x2, 4)
        x3 = lrelu(self.deconv("unet2.conv3_up", self.unet_conv("unet2.conv3", x3), 2, 0))
        x4 = self.unet_conv("unet2.conv4", x2 + x3) * alpha
        x4 = lrelu(self.deconv("unet2.conv4_up", x4, 2, 0))
        x5 = lrelu(self.conv("unet2.conv5", x1 + x4))
        return self.conv("unet2.conv_bottom", x5)

    def forward(self, x, scale, fast, pro, alpha):
        _, _, h0, w0 = x.shape
        if pro:
            x = x * 0.7 + 0.15
        x00 = x
        multiple = 4 if scale == 3 or fast else 2
        ph = ((h0 - 1) // multiple + 1) * multiple
        pw = ((w0 - 1) // multiple + 1) * multiple
        context = 38 if fast else {2: 18, 3: 14, 4: 19}[scale]
        x = F.pad(x, (context, context + pw - w0, context, context + ph - h0), "reflect")
        if fast:
            x = F.pixel_unshuffle(x, 2)
        x = self.unet1(x, 3, 2) if scale == 3 else self.unet1(x, 2, 3)
        y = self.unet2(x, alpha) + crop(x, 20)
        if fast or scale == 4:
            y = F.pixel_shuffle(crop(self.conv("conv_final", y), 1), 2)
        y = y[:, :, : h0 * scale, : w0 * scale]
        if fast or scale == 4:
            y = y + x00.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
        if pro:
            y = (y - 0.15) / 0.7
        return y

    # upcunet_v3.py's pieces of the UNets, cut before each SE block (which the caller applies
    # with the shared mean).
    def unet1_a(self, x):
        x1 = self.body("unet1.conv1", x)
        x2 = lrelu(self.conv("unet1.conv1_down", x1, stride=2))
        return crop(x1, 4), self.body("unet1.conv2", x2)

    def unet1_b(self, x1, x2, scale):
        x2 = lrelu(self.deconv("unet1.conv2_up", x2, 2, 0))
        x3 = lrelu(self.conv("unet1.conv3", x1 + x2))
        return self.deconv("unet1.conv_bottom", x3, *((3, 2) if scale == 3 else (2, 3)))

    def unet2_a(self, x):
        x1 = self.body("unet2.conv1", x)
        x2 = lrelu(self.conv("unet2.conv1_down", x1, stride=2))
        return crop(x1, 16), self.body("unet2.conv2", x2)

    def unet2_b(self, x2):
        x3 = lrelu(self.conv("unet2.conv2_down", x2, stride=2))
        return crop(x2, 4), self.body("unet2.conv3", x3)

    def unet2_c(self, x2, x3):
        x3 = lrelu(self.deconv("unet2.conv3_up", x3, 2, 0))
        return self.body("unet2.conv4", x2 + x3)

    def unet2_d(self, x1, x4):
        x4 = lrelu(self.deconv("unet2.conv4_up", x4, 2, 0))
        x5 = lrelu(self.conv("unet2.conv5", x1 + x4))
        return self.conv("unet2.conv_bottom", x5)


CONTEXT = {2: 18, 3: 14, 4: 19}


def tile_size(scale, h0, w0, tile_mode):
    """upcunet_v3.py's crop_size: tile_mode 1 halves the longer side, N >= 2 cuts N x N tiles
    (fewer when the short side has under 128 px per tile); sides stay multiples of 2 (3x: 4)."""
    m = 4 if scale == 3 else 2
    if tile_mode == 1:
        if w0 >= h0:
            return (h0 - 1) // m * m + m, ((w0 - 1) // (2 * m) * (2 * m) + 2 * m) // 2
        return ((h0 - 1) // (2 * m) * (2 * m) + 2 * m) // 2, (w0 - 1) // m * m + m
    n = min(min(h0, w0) // 128, tile_mode)
    t = n * m
    return ((h0 - 1) // t * t + t) // n, ((w0 - 1) // t * t + t) // n


def to_uint8(y, pro):
    y = (y - 0.15) * (255 / 0.7) if pro else y * 255
    return y.round().clamp(0, 255).byte()


def quantise(t):
    low = t.min()
    span = t.max() - low
    return ((t - low) / span * 255).round().byte(), span, low


def dequantise(p):
    b, span, low = p
    return b.float() / 255 * span + low


class Tiled:
    """The shared parts of upcunet_v3.py's three tiled forwards: the padded image, its tiles
    and the last step of a tile (SE of conv4, unet2's tail, 4x's conv_final, the uint8 write)."""

    def __init__(self, net, x, scale, pro, ch, cw):
        self.net, self.scale, self.pro, self.ch, self.cw = net, scale, pro, ch, cw
        _, _, self.h0, self.w0 = x.shape
        if pro:
            x = x * 0.7 + 0.15
        self.x00 = x
        ph = ((self.h0 - 1) // ch + 1) * ch
        pw = ((self.w0 - 1) // cw + 1) * cw
        c = self.c = CONTEXT[scale]
        self.x = F.pad(x, (c, c + pw - self.w0, c, c + ph - self.h0), "reflect")
        self.tiles = [(i, j) for i in range(0, ph, ch) for j in range(0, pw, cw)]
        self.res = torch.zeros((1, 3, ph * scale, pw * scale), dtype=torch.uint8)

    def window(self, t):
        i, j = t
        return self.x[:, :, i : i + self.ch + 2 * self.c, j : j + self.cw + 2 * self.c]

    def finish(self, t, r, x1, x4, m3):
        net, s = self.net, self.scale
        x4 = net.se("unet2.conv4", x4, m3)
        y = net.unet2_d(x1, x4) + r
        i, j = t
        if s == 4:
            y = F.pixel_shuffle(crop(net.conv("conv_final", y), 1), 2)
            x00 = self.x00[:, :, i : i + self.ch, j : j + self.cw]
            h2, w2 = x00.shape[2:]
            y[:, :, : h2 * 4, : w2 * 4] += F.interpolate(x00, scale_factor=4, mode="nearest")
        self.res[:, :, i * s : (i + self.ch) * s, j * s : (j + self.cw) * s] = to_uint8(y, self.pro)

    def output(self):
        return self.res[:, :, : self.h0 * self.scale, : self.w0 * self.scale]


def forward_cached(T, alpha, quantised):
    """cache_mode 0 (and 1, quantised): every tile's stage outputs are kept between the stages.
    The first stage's outputs stay in float; alpha scales conv4's output before its SE mean."""
    net, n = T.net, len(T.tiles)
    q = quantise if quantised else (lambda t: t)
    dq = dequantise if quantised else (lambda t: t)
    kept, m0 = {}, 0
    for t in T.tiles:
        x1, x2 = net.unet1_a(T.window(t))
        m0 = m0 + mean(x2)
        kept[t] = (x1, x2)
    m0, m1 = m0 / n, 0
    for t in T.tiles:
        x1, x2 = kept[t]
        u = net.unet1_b(x1, net.se("unet1.conv2", x2, m0), T.scale)
        y1, y2 = net.unet2_a(u)
        m1 = m1 + mean(y2)
        kept[t] = (q(crop(u, 20)), q(y1), q(y2))
    m1, m2 = m1 / n, 0
    for t in T.tiles:
        r, y1, y2 = kept[t]
        y2, y3 = net.unet2_b(net.se("unet2.conv2", dq(y2), m1))
        m2 = m2 + mean(y3)
        kept[t] = (r, y1, q(y2), q(y3))
    m2, m3 = m2 / n, 0
    for t in T.tiles:
        r, y1, y2, y3 = kept[t]
        y4 = net.unet2_c(dq(y2), net.se("unet2.conv3", dq(y3), m2)) * alpha
        m3 = m3 + mean(y4)
        kept[t] = (r, y1, q(y4))
    m3 = m3 / n
    for t in T.tiles:
        r, y1, y4 = kept[t]
        T.finish(t, dq(r), dq(y1), dq(y4), m3)


def run_to(T, t, means, alpha=1.0):
    """One tile recomputed from its window up to the input of SE block len(means), with the
    means of the blocks before it; returns (r, y1, block input)."""
    net = T.net
    x1, x2 = net.unet1_a(T.window(t))
    if not means:
        return None, None, x2
    u = net.unet1_b(x1, net.se("unet1.conv2", x2, means[0]), T.scale)
    y1, y2 = net.unet2_a(u)
    r = crop(u, 20)
    if len(means) == 1:
        return r, y1, y2
    y2, y3 = net.unet2_b(net.se("unet2.conv2", y2, means[1]))
    if len(means) == 2:
        return r, y1, y3
    return r, y1, net.unet2_c(y2, net.se("unet2.conv3", y3, means[2])) * alpha


def forward_recomputed(T, alpha):
    """cache_mode 3 (forward_gap_sync): nothing is kept; block k's mean comes from a pass that
    recomputes blocks 0..k-1. 2x scales conv4's output by alpha for its mean only, 3x and 4x for
    the output only."""
    stat_alpha, out_alpha = (alpha, 1.0) if T.scale == 2 else (1.0, alpha)
    means = []
    for k in range(4):
        m = 0
        for t in T.tiles:
            m = m + mean(run_to(T, t, means, stat_alpha)[2])
        means.append(m / len(T.tiles))
    for t in T.tiles:
        r, y1, y4 = run_to(T, t, means[:3], out_alpha)
        T.finish(t, r, y1, y4, means[3])


def forward_sampled(T, alpha):
    """cache_mode 2 (forward_fast_rough): one pass over the tiles in odd rows and columns
    gathers all four means, each tile using the running means of the tiles so far; then every
    tile is recomputed with them. 2x leaves alpha out entirely, 3x and 4x use it for the output."""
    net = T.net
    sums, count = [0, 0, 0, 0], 0
    for i, j in T.tiles:
        if (i // T.ch) % 2 == 0 or (j // T.cw) % 2 == 0:
            continue
        count += 1
        x1, x2 = net.unet1_a(T.window((i, j)))
        sums[0] = sums[0] + mean(x2)
        u = net.unet1_b(x1, net.se("unet1.conv2", x2, sums[0] / count), T.scale)
        _, y2 = net.unet2_a(u)
        sums[1] = sums[1] + mean(y2)
        y2, y3 = net.unet2_b(net.se("unet2.conv2", y2, sums[1] / count))
        sums[2] = sums[2] + mean(y3)
        y4 = net.unet2_c(y2, net.se("unet2.conv3", y3, sums[2] / count))
        sums[3] = sums[3] + mean(y4)
    means = [s / count for s in sums]
    out_alpha = 1.0 if T.scale == 2 else alpha
    for t in T.tiles:
        r, y1, y4 = run_to(T, t, means[:3], out_alpha)
        T.finish(t, r, y1, y4, means[3])


def upcunet_v3(net, x, scale, pro, alpha, tile_mode, cache_mode, crop_size=None):
    """What RealWaifuUpScaler(...)(frame, tile_mode, cache_mode, alpha) returns, as (C, H, W)."""
    if tile_mode == 0 and crop_size is None:
        # The whole-image forward already maps pro's output range back.
        return to_uint8(net.forward(x, scale, False, pro, alpha), False)[0]
    _, _, h0, w0 = x.shape
    ch, cw = crop_size if crop_size else tile_size(scale, h0, w0, tile_mode)
    if cache_mode == 2 and crop_size is None:
        # Fewer than 3 x 3 tiles: forward_fast_rough hands over to cache_mode 1.
        if tile_mode < 3 or min(min(h0, w0) // 128, tile_mode) < 3:
            cache_mode = 1
    T = Tiled(net, x, scale, pro, ch, cw)
    if cache_mode in (0, 1):
        forward_cached(T, alpha, cache_mode == 1)
    elif cache_mode == 2:
        forward_sampled(T, alpha)
    else:
        forward_recomputed(T, alpha)
    return T.output()[0]


def read_tensor(path, name):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    info = json.loads(data[8 : 8 + n])[name]
    begin, end = info["data_offsets"]
    return torch.from_numpy(np.frombuffer(data[8 + n + begin : 8 + n + end], np.float32).reshape(info["shape"]).copy())


def load_weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)["params_ema"]


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "--crops":
        queries = json.load(open(sys.argv[2]))
        json.dump([list(tile_size(*q)) for q in queries], open(sys.argv[3], "w"))
        return
    with torch.no_grad():
        if sys.argv[1] == "--cases":
            nets = {}
            for c in json.load(open(sys.argv[2])):
                net = nets.setdefault(c["model"], Net(load_weights(c["model"])))
                y = upcunet_v3(net, read_tensor(c["input"], "x"), c["scale"], c["pro"], c["alpha"], c["tile_mode"], c["cache_mode"], c.get("crop"))
                np.save(c["out"], y.numpy())
            return
        model, inp, out, scale, fast, pro, alpha = sys.argv[1:8]
        y = Net(load_weights(model)).forward(read_tensor(inp, "x"), int(scale), fast == "1", pro == "1", float(alpha))
        np.save(out, y[0].numpy().astype(np.float32))


if __name__ == "__main__":
    main()

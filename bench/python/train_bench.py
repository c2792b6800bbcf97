"""The training step of bench/train_bench.cpp in Debian's Python torch: Compact x2
(SRVGGNetCompact) and SPAN-S x2 (48 channels, Conv3XC in its three-branch training form), batch
8, lq 64, L1 + AdamW(lr 2e-4, betas 0.9/0.99), median step time after two warm-up steps.
Usage: /usr/bin/python3 bench/python/train_bench.py [STEPS] [BATCH] [LQ] [THREADS]"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Compact(nn.Module):
    def __init__(self, feat=64, conv=16, up=2):
        super().__init__()
        self.up = up
        body = [nn.Conv2d(3, feat, 3, 1, 1), nn.PReLU(feat)]
        for _ in range(conv):
            body += [nn.Conv2d(feat, feat, 3, 1, 1), nn.PReLU(feat)]
        body += [nn.Conv2d(feat, 3 * up * up, 3, 1, 1)]
        self.body = nn.Sequential(*body)

    def forward(self, x):
        out = F.pixel_shuffle(self.body(x), self.up)
        return out + F.interpolate(x, scale_factor=self.up, mode="nearest")


class Conv3XC(nn.Module):
    def __init__(self, cin, cout, gain=2):
        super().__init__()
        self.sk = nn.Conv2d(cin, cout, 1)
        self.conv = nn.Sequential(nn.Conv2d(cin, cin * gain, 1), nn.Conv2d(cin * gain, cout * gain, 3),
                                  nn.Conv2d(cout * gain, cout, 1))

    def forward(self, x):
        return self.conv(F.pad(x, (1, 1, 1, 1))) + self.sk(x)


class SPAB(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1_r, self.c2_r, self.c3_r = Conv3XC(c, c), Conv3XC(c, c), Conv3XC(c, c)

    def forward(self, x):
        out1 = F.silu(self.c1_r(x))
        out3 = self.c3_r(F.silu(self.c2_r(out1)))
        att = torch.sigmoid(out3) - 0.5
        return (out3 + x) * att, out1


class SPAN(nn.Module):
    def __init__(self, feat=48, up=2):
        super().__init__()
        self.conv_1 = Conv3XC(3, feat)
        self.blocks = nn.ModuleList([SPAB(feat) for _ in range(6)])
        self.conv_cat = nn.Conv2d(4 * feat, feat, 1)
        self.conv_2 = Conv3XC(feat, feat)
        self.upsampler = nn.Sequential(nn.Conv2d(feat, 3 * up * up, 3, 1, 1), nn.PixelShuffle(up))

    def forward(self, x):
        f = self.conv_1(x)
        out, b1, mid = f, None, None
        for i, b in enumerate(self.blocks):
            out, mid = b(out)
            if i == 0:
                b1 = out
        out = self.conv_2(out)
        return self.upsampler(self.conv_cat(torch.cat([f, out, b1, mid], 1)))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    lq = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    print("arch,layout,threads,median_s_per_step")
    for name, make in (("compact", Compact), ("span_s", SPAN)):
        for channels_last in (False, True):
            if True:
                torch.set_num_threads(threads)
                torch.manual_seed(0)
                net = make().train()
                fmt = torch.channels_last if channels_last else torch.contiguous_format
                net = net.to(memory_format=fmt)
                opt = torch.optim.AdamW(net.parameters(), lr=2e-4, betas=(0.9, 0.99), weight_decay=0)
                x = torch.rand(batch, 3, lq, lq).contiguous(memory_format=fmt)
                y = torch.rand(batch, 3, 2 * lq, 2 * lq).contiguous(memory_format=fmt)

                def step():
                    loss = (net(x) - y).abs().mean()
                    loss.backward()
                    opt.step()
                    opt.zero_grad()

                step()
                times = []
                for _ in range(steps):
                    t = time.perf_counter()
                    step()
                    times.append(time.perf_counter() - t)
                layout = "channels_last" if channels_last else "nchw"
                print(f"{name},{layout},{threads},{statistics.median(times):.4f}", flush=True)


if __name__ == "__main__":
    main()

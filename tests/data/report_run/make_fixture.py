#!/usr/bin/env python3
"""Writes this fixture: a tiny training run as tests/pages reads it (python3 make_fixture.py).

Two validation images (LQ 16x12, HQ 32x24) and the trainer's outputs at iterations 1000 and 2000,
each a colour ramp whose pixels all differ from their neighbours (so zoomed blocks can be told
apart), plus experiments/2x_tiny/train_log.jsonl, written by hand below: unknown keys and events,
an iteration logged twice (a resume) and a last line still being written.
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write_png(path, width, height, pixel):
    rows = b"".join(b"\0" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)


# Per image: HQ(x, y); LQ is a different ramp at half size; the outputs are HQ with another blue.
IMAGES = {
    "0007": lambda x, y, b: (8 * x, 10 * y, b),
    "0012": lambda x, y, b: (b, 8 * x, 10 * y),
}
OUTPUT_BLUE = {1000: 120, 2000: 170}
HQ_BLUE = 230

for name, ramp in IMAGES.items():
    write_png(f"{HERE}/datasets/val/hq/{name}.png", 32, 24, lambda x, y: ramp(x, y, HQ_BLUE))
    write_png(f"{HERE}/datasets/val/lq/{name}.png", 16, 12, lambda x, y: ramp(2 * x + 1, 2 * y + 1, 40))
    for it, blue in OUTPUT_BLUE.items():
        write_png(f"{HERE}/experiments/2x_tiny/visualization/{name}/{name}_{it}.png", 32, 24,
                  lambda x, y: ramp(x, y, blue))

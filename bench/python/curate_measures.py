"""The classical curation measures of `pairforge curate` (src/prep) in Python/OpenCV/NumPy, the way
the community's curation scripts compute them, timed per frame on one thread (the thread's CPU time, so other jobs on a shared machine count
less): the reference point
of bench/curate_bench.sh. It also prints each measure's value so the two can be compared.

Usage: /usr/bin/python3 bench/python/curate_measures.py FRAME... [--repeats N]
"""
import sys
import time
import zlib

import cv2
import numpy as np


def luma(bgr):
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


def complexity(g):
    # Inner pixels, as src/prep/complexity.cpp.
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)[1:-1, 1:-1]
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)[1:-1, 1:-1]
    return float(cv2.magnitude(gx, gy).mean())


def compression(g):
    # At half size, PNG's Sub filter, then deflate at its fastest level.
    h, w = g.shape[0] // 2, g.shape[1] // 2
    half = cv2.resize(g[:2 * h, :2 * w], (w, h), interpolation=cv2.INTER_AREA)
    sub = np.empty((h, w + 1), np.uint8)
    sub[:, 0] = 1
    sub[:, 1] = half[:, 0]
    sub[:, 2:] = np.diff(half, axis=1).astype(np.uint8)
    return len(zlib.compress(sub.tobytes(), 1)) / half.size


def blockiness(g):
    g = g.astype(np.int16)
    dh = np.abs(np.diff(g, axis=1))  # step between x-1 and x: column x-1
    dv = np.abs(np.diff(g, axis=0))
    hb = (np.arange(1, g.shape[1]) % 8) == 0
    vb = (np.arange(1, g.shape[0]) % 8) == 0
    boundary = dh[:, hb].sum() + dv[vb, :].sum()
    inner = dh[:, ~hb].sum() + dv[~vb, :].sum()
    nb = hb.sum() * g.shape[0] + vb.sum() * g.shape[1]
    ni = (~hb).sum() * g.shape[0] + (~vb).sum() * g.shape[1]
    return (boundary / nb + 1) / (inner / ni + 1)


def sharpness(g):
    return float(cv2.Laplacian(g, cv2.CV_16S, ksize=1)[1:-1, 1:-1].astype(np.float64).var())


def exposure(g):
    n = g.size
    return (np.count_nonzero(g <= 4) / n, np.count_nonzero(g >= 251) / n, float(g.mean()),
            float(g.std()))


def border(g):
    def dark(lines):  # rows of `lines`
        return (lines.max(axis=1) <= 40) & (lines.mean(axis=1) <= 12)

    def run(flags):
        return len(flags) if flags.all() else int(np.argmin(flags))

    rows, cols = dark(g), dark(g.T)
    return max(run(rows), run(rows[::-1]), run(cols), run(cols[::-1]))


def phash_thumb(g):
    thumb = cv2.resize(g, (64, 64), interpolation=cv2.INTER_AREA)
    small = cv2.resize(thumb, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    low = cv2.dct(small)[:8, :8].flatten()
    bits = low > np.median(low[1:])
    return int(np.packbits(bits).view('>u8')[0]), thumb


def score(bgr):
    g = luma(bgr)
    shadows, highlights, brightness, contrast = exposure(g)
    return {
        'complexity': complexity(g), 'compression': compression(g), 'blockiness': blockiness(g),
        'sharpness': sharpness(g), 'shadows': shadows, 'highlights': highlights,
        'brightness': brightness, 'contrast': contrast, 'border': border(g),
        'phash': phash_thumb(g)[0],
    }


def main():
    args, repeats = sys.argv[1:], 5
    if '--repeats' in args:
        i = args.index('--repeats')
        repeats = int(args[i + 1])
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    cv2.setNumThreads(1)
    times = []
    for path in args:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        score(bgr)  # warm-up
        runs = []
        for _ in range(repeats):
            start = time.thread_time()
            values = score(bgr)
            runs.append(time.thread_time() - start)
        times.append(sorted(runs)[len(runs) // 2])
        print(path, ' '.join(f'{k}={v:.4g}' if isinstance(v, float) else f'{k}={v}'
                             for k, v in values.items() if k != 'phash'))
    h, w = bgr.shape[:2]
    print(f'python/opencv {cv2.__version__}, numpy {np.__version__}: {len(args)} frames of '
          f'{w}x{h}, 1 thread, CPU time: {sorted(times)[len(times) // 2] * 1e3:.2f} ms per frame (median)')


if __name__ == '__main__':
    main()

"""The codec-only job as Python scripts do it: each PNG is read with OpenCV, written back as the
HQ image, piped as rgb24 through `ffmpeg` (libx264 crf 23 medium, one thread) and back through a
second `ffmpeg` process, and the decoded frame written as the LQ PNG: the same I/O as
`pairforge degrade -c bench/codec_job.yml` (bench/codec_job_bench.sh).

Usage: /usr/bin/python3 bench/python/codec_job_reference.py IN_DIR OUT_DIR
"""
import os
import subprocess
import sys

import cv2
import numpy as np


def round_trip(rgb):
    h, w = rgb.shape[:2]
    enc = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-r", "25", "-i", "pipe:0", "-threads", "1", "-c:v", "libx264",
           "-crf", "23", "-preset", "medium", "-profile:v", "high", "-pix_fmt", "yuv420p",
           "-f", "h264", "pipe:1"]
    bitstream = subprocess.run(enc, input=rgb.tobytes(), capture_output=True, check=True).stdout
    dec = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-threads", "1", "-f", "h264",
           "-i", "pipe:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    raw = subprocess.run(dec, input=bitstream, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8)[: h * w * 3].reshape(h, w, 3)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    for sub in ("hq", "lq"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    for name in sorted(os.listdir(in_dir)):
        if not name.endswith(".png"):
            continue
        bgr = cv2.imread(os.path.join(in_dir, name), cv2.IMREAD_COLOR)
        cv2.imwrite(os.path.join(out_dir, "hq", name), bgr)
        lq = round_trip(np.ascontiguousarray(bgr[:, :, ::-1]))
        cv2.imwrite(os.path.join(out_dir, "lq", name), np.ascontiguousarray(lq[:, :, ::-1]))


if __name__ == "__main__":
    main()

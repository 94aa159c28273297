"""Render the bundled sample's videos in every format, with and without a voice and
music, and print what the quality check measured for each file.

Each combination builds a copy of the repository's sample project (the copy's
storygen.toml gets the voice and music settings) with `storygen build --only
video`, which runs the quality check after every render and fails the build if
any check fails. Voice here is espeak-ng, so it must be installed.

    python benchmarks/sample_matrix.py [--quality final|draft]

By default the sample's own combination (music, no voice) renders at final
quality and the other three at draft quality, to keep the run under ~15 minutes
on two cores.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FORMATS = ["16:9", "9:16", "1:1", "4:5"]
COMBOS = [("none", True), ("espeak", True), ("espeak", False), ("none", False)]   # (voice, music)


def project_copy(dest: Path, voice: str, music: bool) -> Path:
    for name in ("storygen.toml", "narratives", "templates", "assets"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.exists():
            shutil.copy2(src, dest / name)
    toml = dest / "storygen.toml"
    text = toml.read_text(encoding="utf-8")
    if not music:
        text = re.sub(r'(?m)^music = .*$', "", text)
    text = re.sub(r"(?m)^\[video\]$", f'[video]\nvoice = "{voice}"', text, count=1)
    toml.write_text(text, encoding="utf-8")
    return dest


def probe(path: Path) -> str:
    sys.path.insert(0, str(REPO))
    from storygen.video import qc
    facts = qc.probe(path)
    loudness, peak = qc.measure_loudness(path)
    loud = f"{loudness:6.1f} LUFS {peak:5.1f} dBTP" if loudness is not None and loudness > -70 else "  silent"
    return (f"{facts.video.width}×{facts.video.height} {facts.pix_fmt}({facts.colour_desc}) "
            f"{facts.video.seconds:6.1f} s  {loud}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", choices=["final", "draft"], help="one quality for every combination")
    args = ap.parse_args()
    failures = 0
    for voice, music in COMBOS:
        quality = args.quality or ("final" if (voice, music) == ("none", True) else "draft")
        with tempfile.TemporaryDirectory(prefix="sample-matrix-") as tmp:
            root = project_copy(Path(tmp), voice, music)
            cmd = [sys.executable, "-m", "storygen", "build", "--only", "video", "--quality", quality,
                   *[a for f in FORMATS for a in ("--format", f)]]
            start = time.perf_counter()
            run = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": str(REPO)})
            took = time.perf_counter() - start
            label = f"voice={voice:6} music={'yes' if music else 'no ':3} {quality:5}"
            if run.returncode != 0:
                failures += 1
                print(f"{label} FAILED (exit {run.returncode}) after {took:.0f} s\n{run.stderr[-2000:]}")
                continue
            print(f"{label} built and passed the quality check in {took:.0f} s:")
            for mp4 in sorted((root / "build" / "video").glob("*.mp4")):
                print(f"    {mp4.name:42} {probe(mp4)}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

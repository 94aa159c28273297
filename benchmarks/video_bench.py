"""Benchmark: storygen's video render against the ffmpeg floor.

For each length (60 s and 300 s by default) this renders a 1080p30 16:9 story
— pictures with pan and zoom, crossfades, burned-in captions and a music bed —
through `render_videos`, and then has ffmpeg encode the same number of frames
from still images with the same encoder settings (the floor: no drawing at all).
Each runs in its own process; peak memory is the largest sum of proportional
set size (PSS: resident memory, shared pages split between the processes sharing
them) over that process and its children (ffmpeg included), sampled every 50 ms
(reading smaps is not free: every 20 ms cost the machine a sixth of a core).
The plain RSS sum, which counts a page shared by two processes twice, is printed too.

    python benchmarks/video_bench.py [--lengths 60 300] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

PICTURES = 8
WORDS = ("the team met again on a quiet morning and read the letters together before anyone "
         "decided what should happen next for the family").split()


# ---- inputs ---------------------------------------------------------------------

def make_assets(root: Path) -> None:
    """Eight 2400×1600 photo-like JPEGs (smooth shapes plus grain) and a music bed."""
    from storygen.video.audio import FFMPEG
    photos = root / "assets" / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    for i in range(PICTURES):
        path = photos / f"b{i}.jpg"
        if path.exists():
            continue
        # photo-like texture: detail at every scale with a 1/f falloff (natural
        # images' spectrum), rather than pixel noise no camera would keep
        rng = np.random.default_rng(i)
        img = np.zeros((1600, 2400, 3), dtype=np.float32)
        for cells, amp in ((6, 70.0), (24, 35.0), (96, 16.0), (384, 8.0)):
            field = rng.normal(0, 1, (cells, cells * 3 // 2, 3)).astype(np.float32)
            layer = np.stack([np.asarray(Image.fromarray(field[..., c]).resize((2400, 1600), Image.BICUBIC))
                              for c in range(3)], axis=-1)
            img += amp * layer
        img = np.clip(img + 128, 0, 255).astype(np.uint8)
        Image.fromarray(img).filter(ImageFilter.UnsharpMask(2, 60, 2)).save(path, quality=90)
    bed = root / "assets" / "bed.mp3"
    if not bed.exists():
        subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=220:duration=40", "-f", "lavfi", "-i", "sine=frequency=277:duration=40",
                        "-f", "lavfi", "-i", "anoisesrc=d=40:c=pink:a=0.05",
                        "-filter_complex", "amix=inputs=3,volume=0.5", str(bed)], check=True)


def make_project(root: Path):
    from storygen.config import Config
    from storygen.model import Project
    config = Config()
    config.video.music = "bed.mp3"
    config.video.music_credit = "Benchmark tone"
    config.video.quality = "final"
    return Project(root=root, config=config, codes={}, sources={}, excerpts={}, stories=[])


def make_composite(slides: int, words: int):
    from storygen.model import Composite, CompositeStats, Persona, Picture, Segment, Story
    images = tuple(Picture(f"photos/b{i}.jpg", alt=f"Picture {i}", credit="Benchmark")
                   for i in range(PICTURES))
    story = Story(slug="bench", title="A benchmark story", summary="Pictures, captions and music.",
                  persona=Persona("Sam", "support worker", "a council"), voice="third", themes=(),
                  status="approved", media=("video",), images=images, video_formats=("16:9",))
    segs = []
    for k in range(slides):
        text = " ".join(WORDS[(k + j) % len(WORDS)] for j in range(words)).capitalize() + "."
        segs.append(Segment("bridge", text))
    stats = CompositeStats(sources=("a", "b", "c"), source_words={}, quoted_words=0, bridge_words=0,
                           total_words=0, theme_sources={}, duration_seconds=0.0)
    return Composite(story, tuple(segs), stats)


def shape(length: float) -> tuple[int, int]:
    """(bridge slides, words per slide) giving about `length` seconds; the 60-s story
    has the issue's 8 picture slides, longer ones more, cycling the pictures."""
    slides = max(PICTURES - 1, round(length / 7.5) - 1)    # the title card shows a picture too
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        from storygen.video.render import Job, build_plan
        project = make_project(root)
        words = 16
        for _ in range(6):
            plan, *_ = build_plan(project, Job(make_composite(slides, words), "16:9", "final", True))
            if abs(plan.duration - length) < 1.5:
                break
            words = max(4, round(words * (1 + (length - plan.duration) / (plan.duration - 14))))
    return slides, words


# ---- the two measured tasks (each in its own process) --------------------------------

def child_render(root: Path, slides: int, words: int, out: Path) -> None:
    from storygen.video import render_videos
    t = time.perf_counter()
    [r] = render_videos(make_project(root), [make_composite(slides, words)], out,
                        burn_captions=True, progress=False)
    print(json.dumps({"seconds": time.perf_counter() - t, "frames": r.frames, "duration": r.duration,
                      "loudness": r.loudness, "true_peak": r.true_peak,
                      "mb": r.video.stat().st_size / 1e6}))


def floor_command(root: Path, frames: int, out: Path) -> list[str]:
    """ffmpeg alone: the same frame count from frame-sized stills, same encoder settings."""
    from storygen.video.encode import FFMPEG, TO_YUV, tail_args, video_args
    from storygen.video.formats import make_frame
    frame = make_frame("16:9", "final", 30)
    stills = []
    for i in range(PICTURES):
        still = root / f"still{i}.jpg"
        if not still.exists():
            with Image.open(root / "assets" / "photos" / f"b{i}.jpg") as im:
                im.resize((frame.width, frame.height), Image.LANCZOS).save(still, quality=90)
        stills.append(still)
    per = [frames // PICTURES + (1 if k < frames % PICTURES else 0) for k in range(PICTURES)]
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    for still in stills:
        cmd += ["-loop", "1", "-framerate", str(frame.fps), "-i", str(still)]
    graph = ";".join(f"[{k}:v]trim=end_frame={n},setpts=PTS-STARTPTS[v{k}]" for k, n in enumerate(per))
    graph += ";" + "".join(f"[v{k}]" for k in range(PICTURES)) + f"concat=n={PICTURES}:v=1:a=0[v]"
    return cmd + ["-filter_complex", f"{graph};[v]{TO_YUV}[out]", "-map", "[out]", *video_args(frame),
                  "-frames:v", str(frames), *tail_args(out)]


def encoder_command(video: Path, out: Path) -> list[str]:
    """A diagnostic second floor: x264 alone on the very frames the render drew
    (decoded from its MP4, ~4 % of the time), same settings. Moving pictures cost
    x264 far more than stills; this shows how much of the render is the encoder."""
    from storygen.video.encode import FFMPEG, tail_args, video_args
    from storygen.video.formats import make_frame
    frame = make_frame("16:9", "final", 30)
    return [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(video), "-map", "0:v",
            *video_args(frame), *tail_args(out)]


# ---- measuring ------------------------------------------------------------------------

def _pss(pid: int) -> int:
    """Proportional set size in bytes: resident memory, with pages shared between
    processes (the ffmpeg binary when two ffmpegs run) divided among them, so a
    tree's sum counts each page once."""
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    raise ValueError(pid)


def _tree_rss(pid: int) -> tuple[int, int, int]:
    """Bytes of (PSS of a process and all its descendants, PSS of the process alone,
    plain RSS summed over the tree — which counts shared pages once per process), from /proc."""
    total, own, rss_sum, stack = 0, 0, 0, [pid]
    while stack:
        p = stack.pop()
        try:
            pss = _pss(p)
            with open(f"/proc/{p}/statm") as fh:
                rss_sum += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            total += pss
            own = pss if p == pid else own
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total, own, rss_sum


def _children_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(cmd: list[str]) -> tuple[float, tuple[int, int, int], str, float]:
    """(wall seconds, (peak tree PSS, peak PSS of the process alone, peak tree RSS sum)
    in bytes, stdout, CPU seconds of the process and everything it ran)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0, 0, 0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            total, own, rss_sum = _tree_rss(proc.pid)
            peak[0], peak[1], peak[2] = max(peak[0], total), max(peak[1], own), max(peak[2], rss_sum)
            time.sleep(0.05)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    th.join()
    if proc.returncode:
        raise SystemExit(f"failed: {' '.join(cmd[:6])}…\n{err[-2000:]}")
    return wall, tuple(peak), out, _children_cpu() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", type=float, nargs="+", default=[60.0, 300.0])
    ap.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        root, slides, words, out = args.child
        child_render(Path(root), int(slides), int(words), Path(out))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="video-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    make_assets(work)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; 1920×1080 30 fps, "
          f"x264 preset/crf as the 'final' quality")
    for length in args.lengths:
        slides, words = shape(length)
        out = work / f"out-{int(length)}"
        r_wall, r_peak, r_out, r_cpu = measure([sys.executable, __file__, "--child", str(work), str(slides),
                                         str(words), str(out)])
        info = json.loads(r_out.strip().splitlines()[-1])
        frames = info["frames"]
        f_wall, f_peak, _, f_cpu = measure(floor_command(work, frames, work / f"floor-{int(length)}.mp4"))
        e_wall, e_peak, _, e_cpu = measure(encoder_command(out / "bench-16x9.mp4", work / f"enc-{int(length)}.mp4"))
        print(f"\n{info['duration']:.1f} s story ({frames} frames; {slides + 1} picture slides with pan "
              f"and zoom, crossfades, burned-in captions, music bed; {info['mb']:.1f} MB, "
              f"{info['loudness']} LUFS, {info['true_peak']} dBTP)")
        print(f"  storygen render : {r_wall:7.1f} s   peak memory {r_peak[0] / 2**20:6.0f} MB "
              f"(python alone {r_peak[1] / 2**20:.0f} MB; RSS summed {r_peak[2] / 2**20:.0f} MB)   "
              f"CPU {r_cpu:6.1f} s")
        print(f"  ffmpeg floor    : {f_wall:7.1f} s   peak memory {f_peak[0] / 2**20:6.0f} MB"
              f"{'':25}CPU {f_cpu:6.1f} s")
        print(f"  ratio           : {r_wall / f_wall:7.2f} × the floor (CPU time {r_cpu / f_cpu:.2f} ×)")
        print(f"  x264 alone on the render's own moving frames: {e_wall:.1f} s, CPU {e_cpu:.1f} s, "
              f"peak memory {e_peak[0] / 2**20:.0f} MB; render = {r_wall / e_wall:.2f} × that")
        print(f"  real-time factor: {info['duration'] / r_wall:7.2f} × real time "
              f"(floor {info['duration'] / f_wall:.2f} ×)")
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

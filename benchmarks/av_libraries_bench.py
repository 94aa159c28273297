"""Benchmark: moviepy and pydub (the design card's video and audio packages) against what
storygen's video pipeline does itself, on the same work, on this machine.

    python benchmarks/av_libraries_bench.py [--frames 450] [--seconds 300]

1. The frame pipe: 1080p30 frames of a picture panning, encoded with the render's own
   x264 settings ('final' quality) two ways. storygen: planar YUV 4:2:0 (BT.709,
   converted in Python as the render does) through `encode.encode_video` (a writer
   thread, a 1 MiB pipe). moviepy: `FFMPEG_VideoWriter` (moviepy 2.x), which takes
   RGB frames only (its `pixel_format` argument is overwritten with rgb24), so ffmpeg
   converts each frame to YUV (given the BT.709 matrix through `ffmpeg_params`).
   Frames are made before timing starts, so only the pipe and encoder are measured;
   CPU time includes ffmpeg's.
2. The mix: a `--seconds` story with one narration clip every 7 s over a looped music
   bed, ducked under speech with ramps. storygen: `audio.mix` (numpy, float, in chunks).
   pydub: `AudioSegment.overlay` for the clips, and the ducking as `apply_gain` on the
   stretches between ramps and `fade` over each ramp, on 16-bit samples.
3. Probing a rendered MP4: `qc.probe` (the MP4 boxes read in Python, plus `ffmpeg -i`
   for the profile, pixel format and colour tags) and moviepy's `ffmpeg_parse_infos`.

Prints each time with the load average; not a test.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def cpu_seconds() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(fn):
    wall, cpu = time.perf_counter(), cpu_seconds()
    value = fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu, value


# --- 1. the frame pipe ---------------------------------------------------------------

def panning_frames(count: int, width: int = 1920, height: int = 1080) -> list[np.ndarray]:
    """RGB frames of a textured picture panning slowly (distinct every frame)."""
    import cv2

    rng = np.random.default_rng(1)
    big = cv2.resize(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8), (2400, 1600),
                     interpolation=cv2.INTER_CUBIC)
    frames = []
    for i in range(count):
        x = 480 * i / max(1, count - 1)
        m = np.float32([[1, 0, -x], [0, 1, -260]])
        frames.append(cv2.warpAffine(big, m, (width, height), flags=cv2.INTER_LINEAR))
    return frames


def to_planes(frames) -> list[np.ndarray]:
    """The same frames as the render hands them to ffmpeg (it draws in YUV planes)."""
    from storygen.video import planes

    return [planes.i420(rgb) for rgb in frames]


def pipe_storygen(frames, out: Path) -> None:
    from storygen.video.encode import encode_video
    from storygen.video.formats import make_frame

    encode_video(iter(frames), make_frame("16:9", "final", 30), len(frames), out)


def pipe_moviepy(frames, out: Path) -> None:
    from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter

    from storygen.video.encode import TO_YUV, tail_args, video_args
    from storygen.video.formats import make_frame

    frame = make_frame("16:9", "final", 30)
    args = video_args(frame)
    # moviepy adds -vcodec and -preset itself; the rest are the render's own settings.
    params = [a for a in args if a not in ("-c:v", "libx264", "-preset", frame.quality.preset)]
    writer = FFMPEG_VideoWriter(str(out), (frame.width, frame.height), frame.fps, codec="libx264",
                                preset=frame.quality.preset,
                                ffmpeg_params=["-vf", TO_YUV, *params, *tail_args(out)[:-1]])
    for rgb in frames:
        writer.write_frame(rgb)
    writer.close()


# --- 2. the mix ----------------------------------------------------------------------

def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


def mix_inputs(folder: Path, seconds: int):
    rate = 48000
    t = np.arange(rate * 20) / rate
    write_wav(folder / "bed.wav", np.stack([0.2 * np.sin(2 * np.pi * 220 * t)] * 2, axis=1))
    t = np.arange(rate * 4) / rate
    write_wav(folder / "voice.wav", np.stack([0.3 * np.sin(2 * np.pi * 600 * t)] * 2, axis=1))
    from storygen.video.formats import make_frame
    from storygen.video.voice import ClipRef

    class Plan:
        frame = make_frame("16:9", "draft", 30)
        total_frames = seconds * 30
        placements = [(float(at), ClipRef(str(folder / "voice.wav"))) for at in range(2, seconds - 5, 7)]
    return Plan


def mix_storygen(plan, folder: Path) -> None:
    from storygen.video import audio

    audio.mix(plan, folder / "bed.wav", folder / "mix-storygen.wav", "bench", audio.AudioFiles())


def mix_pydub(plan, folder: Path) -> None:
    import imageio_ffmpeg
    from pydub import AudioSegment

    AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()     # the bundled ffmpeg, no system one

    from storygen.video.audio import (DUCK_DOWN, DUCK_UP, FADE_IN, FADE_OUT, MUSIC_BETWEEN_DB,
                                      MUSIC_UNDER_VOICE_DB, speech_intervals)

    total_ms = plan.total_frames * 1000 // plan.frame.fps
    voice = AudioSegment.from_wav(plan.placements[0][1].path)
    bed = AudioSegment.from_wav(folder / "bed.wav")
    loops = bed * (total_ms // len(bed) + 1)
    loops = loops[:total_ms]
    # Levels as audio.mix sets them: the bed under speech and between, relative to the voice.
    between = voice.dBFS + MUSIC_BETWEEN_DB - bed.dBFS
    under = voice.dBFS + MUSIC_UNDER_VOICE_DB - bed.dBFS
    spans = speech_intervals(plan.placements, [len(voice) / 1000] * len(plan.placements))
    pieces, at = [], 0
    for a, b in spans:
        down, start, end, up = (int(x * 1000) for x in (a - DUCK_DOWN, a, b, b + DUCK_UP))
        pieces.append(loops[at:down].apply_gain(between))
        pieces.append(loops[down:start].apply_gain(between).fade(to_gain=under - between, start=0,
                                                                 end=start - down))
        pieces.append(loops[start:end].apply_gain(under))
        pieces.append(loops[end:up].apply_gain(under).fade(to_gain=between - under, start=0, end=up - end))
        at = up
    pieces.append(loops[at:].apply_gain(between))
    track = sum(pieces[1:], pieces[0]).fade_in(int(FADE_IN * 1000)).fade_out(int(FADE_OUT * 1000))
    for start, _ in plan.placements:
        track = track.overlay(voice, position=int(start * 1000))
    track.set_frame_rate(48000).export(folder / "mix-pydub.wav", format="wav")


# --- 3. probing ----------------------------------------------------------------------

def probe_storygen(path: Path):
    from storygen.video import qc

    facts = qc.probe(path)
    return (facts.video.codec, facts.profile, facts.pix_fmt, facts.colour_desc, facts.video.width,
            facts.video.height, round(facts.fps, 3), facts.video.samples, round(facts.duration, 3))


def probe_moviepy(path: Path):
    from moviepy.video.io.ffmpeg_reader import ffmpeg_parse_infos

    info = ffmpeg_parse_infos(str(path))
    return (info["video_codec_name"], info["video_profile"], None, None, *info["video_size"],
            info["video_fps"], info["video_n_frames"], info["duration"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=450, help="frames through each pipe (30 fps)")
    parser.add_argument("--seconds", type=int, default=300, help="length of the mixed story")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="storygen-av-") as tmp:
        folder = Path(tmp)
        rgb = panning_frames(args.frames)
        yuv = to_planes(rgb)
        rows = []
        for name, fn, frames in (("frame pipe: storygen (YUV planes, writer thread)", pipe_storygen, yuv),
                                 ("frame pipe: moviepy FFMPEG_VideoWriter (RGB)", pipe_moviepy, rgb)):
            out = folder / f"{name.split(':')[1].split()[0]}.mp4"
            wall, cpu, _ = timed(lambda: fn(frames, out))
            rows.append((name, wall, cpu, f"{out.stat().st_size / 1e6:.1f} MB, "
                                          f"{frames[0].nbytes / 1e6:.1f} MB a frame through the pipe"))
        del rgb, yuv
        plan = mix_inputs(folder, args.seconds)
        for name, fn in (("mix: storygen audio.mix (numpy)", mix_storygen),
                         ("mix: pydub overlay + apply_gain + fade", mix_pydub)):
            wall, cpu, _ = timed(lambda: fn(plan, folder))
            rows.append((name, wall, cpu, ""))
        sample = folder / "storygen.mp4"
        for name, fn in (("probe: storygen qc.probe", probe_storygen),
                         ("probe: moviepy ffmpeg_parse_infos", probe_moviepy)):
            wall, cpu, facts = timed(lambda: [fn(sample) for _ in range(10)][0])
            rows.append((name + " (×10)", wall, cpu, " ".join(map(str, facts))))
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.1f} (start {load:.1f}); {args.frames} frames at 1080p30, "
          f"a {args.seconds}-s mix")
    print(f"{'measurement':<58}{'wall s':>8}{'CPU s':>8}  notes")
    for name, wall, cpu, note in rows:
        print(f"{name:<58}{wall:>8.2f}{cpu:>8.2f}  {note}")


if __name__ == "__main__":
    main()

"""The quality check after every render: what is actually in the file.

The bundled ffmpeg ships no ffprobe, so the stream facts come from the MP4
boxes themselves (read here: sizes, timescales, sample counts, colour tags,
box order) cross-checked with `ffmpeg -i` (codec, profile, pixel format), and
loudness from ffmpeg's `ebur128` filter with true-peak metering. A failed
check raises RenderError and the build fails.
"""
from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg

from ..errors import RenderError
from .captions import MAX_LINE, MAX_LINES, parse_vtt_times

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"}


@dataclass
class Track:
    kind: str = ""                  # vide | soun
    codec: str = ""                 # avc1 | mp4a
    timescale: int = 0
    duration: int = 0               # in timescale units
    samples: int = 0
    sample_delta: int = 0           # first stts delta
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    colour: tuple[int, int, int] | None = None   # primaries, transfer, matrix (nclx)

    @property
    def seconds(self) -> float:
        return self.duration / self.timescale if self.timescale else 0.0


@dataclass
class Facts:
    """Measured facts about one MP4, the VideoResult carries them."""

    top_boxes: list[str] = field(default_factory=list)
    creation_time: int = 0
    modification_time: int = 0
    has_metadata: bool = False
    video: Track = field(default_factory=Track)
    audio: Track = field(default_factory=Track)
    pix_fmt: str = ""
    profile: str = ""
    colour_desc: str = ""
    loudness_i: float | None = None   # LUFS integrated
    true_peak: float | None = None    # dBTP
    frames: int = 0

    @property
    def fps(self) -> float:
        v = self.video
        return v.timescale / v.sample_delta if v.sample_delta else 0.0

    @property
    def duration(self) -> float:
        return self.video.seconds

    @property
    def faststart(self) -> bool:
        return "moov" in self.top_boxes and "mdat" in self.top_boxes and \
            self.top_boxes.index("moov") < self.top_boxes.index("mdat")


def _boxes(data: bytes, start: int, end: int):
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[i + 8:i + 16])[0]
            header = 16
        elif size == 0:
            size = end - i
        if size < header:
            return
        yield kind, i + header, i + size
        i += size


def read_boxes(path: Path) -> Facts:
    """Parse the MP4 container: top-level order, movie header times, tracks.
    Only box headers and the (small) moov box are read: never the media data,
    so memory does not grow with the video's length."""
    facts = Facts()
    with open(path, "rb") as fh:
        size_total = fh.seek(0, 2)
        pos = 0
        while pos + 8 <= size_total:
            fh.seek(pos)
            head = fh.read(16)
            size, kind = struct.unpack(">I4s", head[:8])
            header = 8
            if size == 1:
                size, header = struct.unpack(">Q", head[8:16])[0], 16
            elif size == 0:
                size = size_total - pos
            if size < header:
                break
            facts.top_boxes.append(kind.decode("latin-1"))
            if kind == b"moov":
                fh.seek(pos)
                data = fh.read(size)
                _moov(data, header, size, facts)
            pos += size
    return facts


def _moov(data: bytes, a: int, b: int, facts: Facts) -> None:
    for kind, s, e in _boxes(data, a, b):
        if kind == b"mvhd":
            version = data[s]
            if version == 1:
                facts.creation_time, facts.modification_time = struct.unpack(">QQ", data[s + 4:s + 20])
            else:
                facts.creation_time, facts.modification_time = struct.unpack(">II", data[s + 4:s + 12])
        elif kind == b"udta":
            facts.has_metadata = facts.has_metadata or _udta_has_items(data, s, e)
        elif kind == b"trak":
            track = Track()
            _walk(data, s, e, track)
            if track.kind == "vide":
                facts.video = track
            elif track.kind == "soun":
                facts.audio = track


def _udta_has_items(data: bytes, a: int, b: int) -> bool:
    """True if user data holds anything: ffmpeg leaves an empty iTunes `meta`
    (a handler and an empty `ilst`) even with -map_metadata -1; that is fine."""
    for kind, s, e in _boxes(data, a, b):
        if kind != b"meta":
            return True                      # e.g. ©xyz (location), ©too (encoder)
        for k2, s2, e2 in _boxes(data, s + 4, e):   # meta is a full box: skip version/flags
            if k2 == b"ilst" and e2 > s2:
                return True
            if k2 not in (b"hdlr", b"ilst"):
                return True
    return False


def _walk(data: bytes, a: int, b: int, t: Track) -> None:
    for kind, s, e in _boxes(data, a, b):
        if kind in CONTAINERS:
            _walk(data, s, e, t)
        elif kind == b"mdhd":
            if data[s] == 1:
                t.timescale, t.duration = struct.unpack(">IQ", data[s + 20:s + 32])
            else:
                t.timescale, t.duration = struct.unpack(">II", data[s + 12:s + 20])
        elif kind == b"hdlr":
            t.kind = data[s + 8:s + 12].decode("latin-1")
        elif kind == b"stts":
            count = struct.unpack(">I", data[s + 4:s + 8])[0]
            total = 0
            for k in range(count):
                n, delta = struct.unpack(">II", data[s + 8 + 8 * k:s + 16 + 8 * k])
                total += n
                if k == 0:
                    t.sample_delta = delta
            t.samples = total
        elif kind == b"stsd":
            entry = s + 8
            size, fourcc = struct.unpack(">I4s", data[entry:entry + 8])
            t.codec = fourcc.decode("latin-1")
            body = entry + 8
            if t.codec == "avc1":
                t.width, t.height = struct.unpack(">HH", data[body + 24:body + 28])
                for k2, s2, e2 in _boxes(data, body + 78, entry + size):
                    if k2 == b"colr" and data[s2:s2 + 4] == b"nclx":
                        t.colour = struct.unpack(">HHH", data[s2 + 4:s2 + 10])
            elif t.codec == "mp4a":
                t.sample_rate = struct.unpack(">I", data[body + 24:body + 28])[0] >> 16


def probe(path: Path) -> Facts:
    """Container facts plus what `ffmpeg -i` reports about the video stream."""
    facts = read_boxes(path)
    run = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    m = re.search(r"Video: h264 \(([^)]*)\)[^,]*, ([a-z0-9]+)\(([^)]*)\)", run.stderr)
    if m:
        facts.profile, facts.pix_fmt, facts.colour_desc = m.group(1), m.group(2), m.group(3)
    return facts


def measure_loudness(path: Path) -> tuple[float | None, float | None]:
    """(integrated LUFS, true peak dBTP) of the file's audio, by ffmpeg's ebur128."""
    run = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
                          "-af", "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True)
    summary = run.stderr[run.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    p = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)

    def num(m):
        return None if not m or "inf" in m.group(1) else float(m.group(1))
    loud = num(i)
    # ebur128 reports silence as -70 LUFS (its gate): call it what it is
    return (None if loud is not None and loud <= -70 else loud), num(p)


def count_frames(path: Path) -> int:
    """Decode the video and count frames: what a player will actually show."""
    run = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-map", "0:v:0",
                          "-f", "null", "-"], capture_output=True, text=True)
    found = re.findall(r"frame=\s*(\d+)", run.stderr)
    return int(found[-1]) if found else 0


def check(path: Path, vtt: Path, *, width: int, height: int, fps: int, frames: int,
          loudness: float | None, story: str, decode: bool = True) -> Facts:
    """Probe `path` and compare with the plan; RenderError listing every failure."""
    facts = probe(path)
    facts.loudness_i, facts.true_peak = measure_loudness(path)
    if decode:
        facts.frames = count_frames(path)
    v, a = facts.video, facts.audio
    planned = frames / fps
    problems = []
    if v.codec != "avc1" or facts.pix_fmt != "yuv420p":
        problems.append(f"video is {v.codec}/{facts.pix_fmt}, expected H.264 yuv420p")
    if v.colour != (1, 1, 1) or "bt709" not in facts.colour_desc:
        problems.append(f"colour tags {v.colour} {facts.colour_desc!r}, expected BT.709")
    if (v.width, v.height) != (width, height):
        problems.append(f"size {v.width}×{v.height}, expected {width}×{height}")
    if abs(facts.fps - fps) > 1e-6:
        problems.append(f"frame rate {facts.fps:.3f}, expected {fps}")
    if v.samples != frames or abs(v.seconds - planned) > 1.0 / fps:
        problems.append(f"video has {v.samples} frames / {v.seconds:.3f} s, planned {frames} / {planned:.3f} s")
    if decode and facts.frames != frames:
        problems.append(f"decoded {facts.frames} frames, planned {frames}")
    if a.codec != "mp4a" or a.sample_rate != 48000:
        problems.append(f"audio is {a.codec} at {a.sample_rate} Hz, expected AAC 48 kHz")
    if abs(a.seconds - planned) > 1.0 / fps:
        problems.append(f"audio lasts {a.seconds:.3f} s, planned {planned:.3f} s")
    if not facts.faststart:
        problems.append(f"moov is not before mdat ({' '.join(facts.top_boxes)}): no faststart")
    if facts.creation_time or facts.modification_time or facts.has_metadata:
        problems.append("the file carries a creation time or metadata")
    if loudness is not None:
        if facts.loudness_i is None or abs(facts.loudness_i - loudness) > 1.0:
            problems.append(f"loudness {facts.loudness_i} LUFS, target {loudness} ±1")
        if facts.true_peak is None or facts.true_peak > -1.0:
            problems.append(f"true peak {facts.true_peak} dBTP, must be ≤ -1")
    elif facts.loudness_i is not None and facts.loudness_i > -70:
        problems.append(f"expected a silent track, measured {facts.loudness_i} LUFS")
    for start, end, lines in parse_vtt_times(vtt.read_text(encoding="utf-8")):
        if start < 0 or end > planned + 1e-3 or end <= start:
            problems.append(f"caption {start:.3f}–{end:.3f} s is outside the video (0–{planned:.3f} s)")
        if len(lines) > MAX_LINES or any(len(x) > MAX_LINE for x in lines):
            problems.append(f"caption at {start:.3f} s breaks the 2×42 limit: {lines!r}")
    if problems:
        raise RenderError(f"quality check failed for {path.name} [story {story}]: " + "; ".join(problems),
                          path=path)
    return facts

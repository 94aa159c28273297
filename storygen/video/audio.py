"""The soundtrack: narration placed from the timeline, a music bed looped or
trimmed, faded and ducked under speech, then loudness-normalised by ffmpeg.

Ducking is driven by the timeline rather than a reactive compressor: we know
exactly when words are spoken, so the music dips 0.25 s before and rises 0.5 s
after, with no pumping. The mix is written in chunks, so memory does not grow
with the story's length. Loudness is ffmpeg `loudnorm` in two passes: the
first pass (here) measures, the second (in the encode) applies.
"""
from __future__ import annotations

import json
import re
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from ..errors import AssetError, RenderError

RATE = 48000
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

MUSIC_UNDER_VOICE_DB = -20.0    # music RMS relative to speech RMS, while speaking
MUSIC_BETWEEN_DB = -10.0        # … in the pauses
DUCK_DOWN, DUCK_UP = 0.25, 0.5  # ramp seconds
FADE_IN, FADE_OUT = 1.5, 3.0
TRUE_PEAK_TARGET = -2.0         # aim below -1 dBTP: AAC encoding adds some overshoot
CHUNK = RATE * 10


class AudioFiles:
    """Audio files decoded once per render (a story's narration is measured when the
    video is planned and mixed when it is made). Made afresh for every render, in each
    process: an edited file under assets/ is never served from memory."""

    def __init__(self):
        self._decoded: dict[str, np.ndarray] = {}

    def decode(self, path: Path, story: str) -> np.ndarray:
        """Any audio file -> float32 stereo at 48 kHz, shape (n, 2), full scale 1.0."""
        return self._samples(path, story).astype(np.float32) / 32768.0

    def seconds(self, path: Path, story: str) -> float:
        return len(self._samples(path, story)) / RATE

    def check(self, path: Path, story: str) -> None:
        """Raise the error decoding would, reading only the first half second (a preflight)."""
        if str(path) not in self._decoded:
            _decode(str(path), story, seconds=0.5)

    def _samples(self, path: Path, story: str) -> np.ndarray:
        key = str(path)
        if key not in self._decoded:
            self._decoded[key] = _decode(key, story)
        return self._decoded[key]


def _decode(path: str, story: str, seconds: float | None = None) -> np.ndarray:
    # The bundled ffmpeg decodes directly: pydub would need ffprobe, which the
    # imageio-ffmpeg wheel does not ship, to open anything but WAV.
    p = Path(path)
    if not p.is_file():
        raise AssetError(f"audio file not found [story {story}]", path=p,
                         hint="check the name under assets/")
    limit = ["-t", str(seconds)] if seconds else []
    run = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", path, *limit,
                          "-map", "0:a:0", "-f", "s16le", "-ac", "2", "-ar", str(RATE), "-"],
                         capture_output=True)
    if run.returncode != 0:
        why = run.stderr.decode(errors="replace").strip().splitlines()
        raise AssetError(f"cannot decode audio ({(why[-1] if why else 'unknown error')[:160]}) "
                         f"[story {story}]", path=p, hint="re-export it as WAV, MP3 or FLAC")
    data = np.frombuffer(run.stdout, dtype=np.int16).reshape(-1, 2)
    if len(data) < RATE // 100:
        raise AssetError(f"audio file is empty [story {story}]", path=p)
    return data


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def _db(v: float) -> float:
    return 10 ** (v / 20.0)


def speech_intervals(placements, lengths) -> list[tuple[float, float]]:
    """Merged (start, end) seconds of speech; pauses under 0.8 s do not lift the music."""
    spans = sorted((t, t + n) for (t, _), n in zip(placements, lengths))
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a - merged[-1][1] < 0.8:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def mix(plan, music: Path | None, out_wav: Path, story: str, files: AudioFiles) -> bool:
    """Write the mixed soundtrack (16-bit stereo 48 kHz WAV) exactly as long as the
    video. Returns False when the track is silent (no voice, no music)."""
    fps = plan.frame.fps
    if RATE % fps:
        raise RenderError(f"frame rate {fps} does not divide 48 kHz evenly", hint="use 24, 25, 30, 50 or 60")
    total = plan.total_frames * (RATE // fps)
    clips: dict[object, np.ndarray] = {}
    for _, ref in plan.placements:
        if ref not in clips:
            data = files.decode(Path(ref.path), story).mean(axis=1)
            a = int(round(ref.offset * RATE))
            b = a + int(round(ref.length * RATE)) if ref.length is not None else len(data)
            clips[ref] = np.ascontiguousarray(data[a:b])
    placed = [(int(round(t * RATE)), clips[ref]) for t, ref in plan.placements]
    voice_rms = _rms(np.concatenate([c for c in clips.values()])) if clips else 0.0

    bed = files.decode(music, story) if music else None
    env_t: list[float] = []
    env_g: list[float] = []
    if bed is not None:
        bed_rms = _rms(bed) or 1e-9
        seconds = total / RATE
        if voice_rms > 0:
            under = voice_rms * _db(MUSIC_UNDER_VOICE_DB) / bed_rms
            between = voice_rms * _db(MUSIC_BETWEEN_DB) / bed_rms
        else:
            under = between = 1.0     # music alone: loudnorm sets the level
        lengths = [len(clips[ref]) / RATE for _, ref in plan.placements]
        env_t, env_g = [0.0], [between]
        for a, b in speech_intervals(plan.placements, lengths):
            env_t += [max(env_t[-1], a - DUCK_DOWN), max(env_t[-1], a)]
            env_g += [between, under]
            env_t += [b, b + DUCK_UP]
            env_g += [under, between]
        env_t.append(max(seconds, env_t[-1]))
        env_g.append(between)
        fade_in_s, fade_out_s = min(FADE_IN, seconds / 4), min(FADE_OUT, seconds / 4)

    silent = bed is None and not placed
    with wave.open(str(out_wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for start in range(0, total, CHUNK):
            n = min(CHUNK, total - start)
            buf = np.zeros((n, 2), dtype=np.float32)
            if bed is not None:
                idx = (np.arange(start, start + n) % len(bed))   # loop the bed
                t = np.arange(start, start + n) / RATE
                gain = np.interp(t, env_t, env_g)
                gain *= np.clip(t / fade_in_s, 0, 1) * np.clip((total / RATE - t) / fade_out_s, 0, 1)
                buf += bed[idx] * gain[:, None].astype(np.float32)
            for at, clip in placed:
                a, b = max(at, start), min(at + len(clip), start + n)
                if a < b:
                    buf[a - start:b - start] += clip[a - at:b - at, None]
            w.writeframes((np.clip(buf, -1.0, 1.0) * 32767).astype(np.int16).tobytes())
    return not silent


def measure_loudness(wav: Path, target: float) -> dict | None:
    """loudnorm pass one: the measured values pass two needs; None for silence."""
    run = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostats", "-i", str(wav), "-af",
         f"loudnorm=I={target}:TP={TRUE_PEAK_TARGET}:LRA=11:print_format=json", "-f", "null", "-"],
        capture_output=True, text=True)
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", run.stderr)
    if run.returncode != 0 or not found:
        raise RenderError(f"loudness measurement failed: {run.stderr[-400:]}")
    stats = json.loads(found.group(0))
    if stats["input_i"] in ("-inf", "inf") or float(stats["input_i"]) < -70:
        return None
    return stats


def loudnorm_filter(stats: dict | None, target: float) -> str:
    """loudnorm pass two, resampled back to 48 kHz (dynamic mode works at 192 kHz)."""
    if stats is None:
        return "anull"
    return (f"loudnorm=I={target}:TP={TRUE_PEAK_TARGET}:LRA=11"
            f":measured_I={stats['input_i']}:measured_TP={stats['input_tp']}"
            f":measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}"
            f":offset={stats['target_offset']}:linear=true,aresample={RATE}")

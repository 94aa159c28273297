"""Narration: recorded files from assets/, or offline synthetic speech.

Conventions (documented in docs/video.md):
- `story.narration` names one recording of the whole story under assets/. It is
  cut into units at the times in `<same name>.labels.txt` (an Audacity label
  track: `start<TAB>end<TAB>unit number`), or, without labels, in proportion to
  each unit's words.
- Otherwise, with `video.voice = "recorded"`, `assets/narration/<slug>/NN.wav`
  (or .mp3/.m4a/.flac/.ogg) is the recording of unit NN; the contact sheet and
  transcript show unit numbers. Units without a file are silent.
- `voice = "espeak"` synthesises each caption cue separately with espeak-ng, so
  cue timing is exact without speech recognition; `voice = "piper"` does the
  same with a piper voice model the user supplies (`video.voice_model`).
Nothing is ever downloaded.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_folder
from ..errors import AssetError
from .audio import AudioFiles
from .timeline import Speech, Unit

AUDIO_EXTS = (".wav", ".mp3", ".m4a", ".flac", ".ogg")
VOICES = ("none", "recorded", "espeak", "piper")


@dataclass(frozen=True)
class ClipRef:
    """A stretch of an audio file the mixer places on the timeline."""

    path: str
    offset: float = 0.0
    length: float | None = None


def voiced_by(voice: str, configured: str) -> str:
    if configured:
        return configured
    return {"espeak": "a synthetic voice (espeak-ng)", "piper": "a synthetic voice (Piper)",
            "recorded": "a narrator"}.get(voice, "")


def effective_voice(story_narration: str, voice: str) -> str:
    return "recorded" if story_narration else voice


def prepare(units: list[Unit], *, voice: str, assets: Path, slug: str, narration: str,
            language: str, model: str, root: Path, files: AudioFiles) -> dict[int, Speech]:
    """Speech for every unit, synthesising or measuring audio as needed."""
    voice = effective_voice(narration, voice)
    if voice not in VOICES:
        raise AssetError(f"unknown voice {voice!r} [story {slug}]",
                         hint=f"set video.voice to one of {', '.join(VOICES)}")
    if voice == "none":
        return {}
    if voice == "recorded":
        return _recorded(units, assets, slug, narration, files)
    synth, engine = _espeak(language) if voice == "espeak" else _piper(root, model, slug)
    # Synthesised speech is kept by content (engine, voice, text) in the project's cache:
    # the preflight plan, the render and every other format of the story all say the same
    # phrases, and synthesis was the slowest part of planning a voiced video.
    store = cache_folder(root, "speech")
    speech: dict[int, Speech] = {}
    for unit in units:
        durs, clips = [], []
        for _, lines in unit.cues:
            text = " ".join(lines)
            out = store / (hashlib.blake2b(f"{engine}\0{text}".encode(), digest_size=16).hexdigest() + ".wav")
            if not out.is_file():
                _synth_into(synth, text, out, slug)
            clips.append(ClipRef(str(out)))
            durs.append(_wav_seconds(out))
        speech[unit.number] = Speech("cues", durs, clips)
    return speech


def _synth_into(synth, text: str, out: Path, slug: str) -> None:
    """Synthesise to a temporary name, then rename: a parallel render never reads half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(suffix=".wav", dir=out.parent)
    os.close(fd)
    try:
        synth(text, Path(temp), slug)
        os.replace(temp, out)
    finally:
        Path(temp).unlink(missing_ok=True)


def _tool_identity(exe: str, *extra: str) -> str:
    """What decides a tool's output besides the text: the program (path, size, time) and its voice."""
    st = Path(exe).resolve().stat()
    return "\0".join([str(Path(exe).resolve()), str(st.st_size), str(st.st_mtime_ns), *extra])


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def _espeak(language: str):
    exe = shutil.which("espeak-ng")
    if not exe:
        raise AssetError("video.voice is \"espeak\" but espeak-ng is not installed",
                         hint="install it (Debian/Ubuntu: apt-get install espeak-ng), "
                              "or set video.voice = \"none\"")
    lang = (language or "en").lower()
    voices = subprocess.run([exe, "--voices"], capture_output=True, text=True).stdout.lower()
    if f" {lang} " not in voices:
        lang = lang.split("-")[0] if f" {lang.split('-')[0]} " in voices else "en"

    def synth(text: str, out: Path, slug: str) -> None:
        # text on stdin: a phrase starting with "-" must not be read as an option
        run = subprocess.run([exe, "-v", lang, "-s", "160", "-w", str(out), "--stdin"],
                             input=text.encode("utf-8"), capture_output=True)
        if run.returncode != 0 or not out.is_file():
            raise AssetError(f"espeak-ng failed: {run.stderr.decode(errors='replace')[-300:]} "
                             f"[story {slug}]")
    return synth, _tool_identity(exe, "espeak", lang, "160")


def _piper(root: Path, model: str, slug: str):
    if not model:
        raise AssetError(f"video.voice is \"piper\" but no voice model is set [story {slug}]",
                         hint="set video.voice_model to a .onnx voice you have downloaded; "
                              "storygen never downloads one")
    path = (root / model) if not Path(model).is_absolute() else Path(model)
    if not path.is_file():
        raise AssetError(f"piper voice model not found [story {slug}]", path=path,
                         hint="check video.voice_model; the .onnx and its .onnx.json must both exist")
    exe = shutil.which("piper")
    if not exe:
        raise AssetError("video.voice is \"piper\" but the piper program is not installed",
                         hint="pip install piper-tts, or set video.voice = \"espeak\" or \"none\"")

    def synth(text: str, out: Path, slug: str) -> None:
        run = subprocess.run([exe, "--model", str(path), "--output_file", str(out)],
                             input=text.encode("utf-8"), capture_output=True)
        if run.returncode != 0 or not out.is_file():
            raise AssetError(f"piper failed: {run.stderr.decode(errors='replace')[-300:]} "
                             f"[story {slug}]", path=path)
    mst = path.stat()
    return synth, _tool_identity(exe, "piper", str(path), str(mst.st_size), str(mst.st_mtime_ns))


def _recorded(units: list[Unit], assets: Path, slug: str, narration: str,
              files: AudioFiles) -> dict[int, Speech]:
    if narration:
        return _whole_story(units, assets / narration, slug, files)
    folder = assets / "narration" / slug
    if not folder.is_dir():
        raise AssetError(f"video.voice is \"recorded\" but there is no narration for story {slug}",
                         path=folder, hint="add NN.wav files (one per unit; see the contact sheet) "
                                          "or set `narration:` in the story")
    speech = {}
    for unit in units:
        found = [folder / f"{unit.number:02d}{ext}" for ext in AUDIO_EXTS]
        found = [p for p in found if p.is_file()]
        if found:
            seconds = files.seconds(found[0], slug)
            speech[unit.number] = Speech("unit", [seconds], [ClipRef(str(found[0]))])
    return speech


def _whole_story(units: list[Unit], path: Path, slug: str, files: AudioFiles) -> dict[int, Speech]:
    if not path.is_file():
        raise AssetError(f"narration file not found [story {slug}]", path=path,
                         hint="check `narration:` in the story's front matter (relative to assets/)")
    total = files.seconds(path, slug)
    labels = path.with_name(path.stem + ".labels.txt")
    spans: dict[int, tuple[float, float]] = {}
    if labels.is_file():
        for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
            cells = line.split("\t")
            if not line.strip():
                continue
            try:
                spans[int(cells[2])] = (float(cells[0]), float(cells[1]))
            except (IndexError, ValueError):
                raise AssetError(f"a label line must be `start<TAB>end<TAB>unit number` [story {slug}]",
                                 path=labels, line=n) from None
    else:
        spoken = [u for u in units if u.words]
        words = sum(u.words for u in spoken) or 1
        t = 0.0
        for u in spoken:
            share = total * u.words / words
            spans[u.number] = (t, t + share)
            t += share
    speech = {}
    for number, (a, b) in spans.items():
        if b > a:
            speech[number] = Speech("unit", [b - a], [ClipRef(str(path), a, b - a)])
    return speech

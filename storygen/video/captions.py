"""Caption cues from text, and the sidecars written from one cue list.

One list of cues feeds WebVTT, SRT and burned-in captions, so they can never
disagree. Cues hold at most two lines of at most 42 characters (the broadcast
norm); sentences start new cues where they can, so a cue reads as a unit.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

MAX_LINE = 42
MAX_LINES = 2
MAX_CUE = MAX_LINE * MAX_LINES

_SENTENCE = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+")


@dataclass(frozen=True)
class Cue:
    start: float           # seconds from the start of the video
    end: float
    lines: tuple[str, ...]
    speaker: str = ""      # the composite voice for quotations (WebVTT <v>)
    unit: int = 0          # the timeline unit it belongs to

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def wrap_cue(text: str) -> tuple[str, ...] | None:
    """Split into 1-2 balanced lines of <= 42 characters, or None if impossible."""
    words = text.split()
    if len(text) <= MAX_LINE:
        return (text,)
    best = None
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        if len(a) <= MAX_LINE and len(b) <= MAX_LINE:
            score = abs(len(a) - len(b))
            if best is None or score < best[0]:
                best = (score, (a, b))
    return best[1] if best else None


def _split_long_word(word: str) -> list[str]:
    return [word[i:i + MAX_LINE] for i in range(0, len(word), MAX_LINE)]


def chunk(text: str) -> list[tuple[str, ...]]:
    """Text -> cue line tuples covering every word in order."""
    words: list[str] = []
    for w in text.split():
        words.extend(_split_long_word(w) if len(w) > MAX_LINE else [w])
    text = " ".join(words)
    out: list[tuple[str, ...]] = []
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        out.extend(_chunk_sentence(sentence.split()))
    return out


def _chunk_sentence(words: list[str]) -> list[tuple[str, ...]]:
    # try n cues of balanced length, n = 1, 2, ...; balance avoids a stub last cue
    total = len(" ".join(words))
    n = max(1, -(-total // (MAX_CUE - 6)))
    while True:
        groups = _balanced(words, n)
        wrapped = [wrap_cue(" ".join(g)) for g in groups]
        if all(w is not None for w in wrapped):
            return wrapped  # type: ignore[return-value]
        n += 1


def _balanced(words: list[str], n: int) -> list[list[str]]:
    if n >= len(words):
        return [[w] for w in words]
    target = len(" ".join(words)) / n
    groups: list[list[str]] = [[]]
    length = 0
    for i, w in enumerate(words):
        remaining_words = len(words) - i
        remaining_groups = n - len(groups)
        if groups[-1] and (length + len(w) > target * 1.05 or remaining_words <= remaining_groups) \
                and remaining_groups > 0:
            groups.append([])
            length = 0
        groups[-1].append(w)
        length += len(w) + 1
    return groups


def _ts(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[Cue], disclosure: str) -> str:
    """WebVTT with the disclosure in a header NOTE (rule C14) and voice spans."""
    parts = ["WEBVTT", "", "NOTE", _vtt_escape(disclosure).replace("-->", "->"), ""]
    for i, cue in enumerate(cues, 1):
        body = "\n".join(_vtt_escape(line) for line in cue.lines)
        if cue.speaker:
            # <v> attributes the words to the composite voice, never to a source
            body = f"<v {_vtt_escape(cue.speaker)}>" + body
        parts += [str(i), f"{_ts(cue.start, '.')} --> {_ts(cue.end, '.')}", body, ""]
    return "\n".join(parts)


def to_srt(cues: list[Cue]) -> str:
    parts = []
    for i, cue in enumerate(cues, 1):
        parts += [str(i), f"{_ts(cue.start, ',')} --> {_ts(cue.end, ',')}", *cue.lines, ""]
    return "\n".join(parts)


def parse_vtt_times(text: str) -> list[tuple[float, float, list[str]]]:
    """Read back (start, end, lines) from WebVTT; used by the quality check."""
    out = []
    blocks = text.replace("\r\n", "\n").split("\n\n")
    for block in blocks:
        lines = block.strip("\n").split("\n")
        for j, line in enumerate(lines):
            if "-->" in line:
                a, b = (x.strip().split(" ")[0] for x in line.split("-->"))
                body = [html.unescape(re.sub(r"<[^>]+>", "", x)) for x in lines[j + 1:]]
                out.append((_secs(a), _secs(b), body))
                break
    return out


def _secs(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)

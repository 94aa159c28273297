"""From a composite to a timed plan: units, slides, cues and speech placements.

Three steps, each format-independent until the last:
1. `build_units`: the composite becomes numbered units (title card, persona card,
   one per segment, leftover pictures, end card). Narration files are numbered
   by unit, so a narrator's recordings work for every format.
2. Each unit's words become caption cues (`captions.chunk`).
3. `schedule`: given how long each cue takes (from its speech, or from reading
   speed) and how the layout split cards into pages for this format, place
   slides and cues on the clock and quantise slide edges to whole frames.

Private provenance (excerpt ids, source ids, hashes) is dropped in step 1: a
unit carries only words, so nothing downstream can leak it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Composite, Picture
from .captions import Cue, chunk
from .formats import Frame

LEAD = 0.4            # seconds of quiet before a slide's first words
TAIL = 0.6            # after its last
GAP = 0.15            # between synthetic phrases
MIN_CUE = 1.0
MAX_CUE = 7.0
MAX_CPS = 20.0        # reading-speed ceiling, characters a second
CROSSFADE = 0.5       # seconds


@dataclass
class Unit:
    number: int                    # 1-based; narration file NN belongs to unit NN
    kind: str                      # title persona heading bridge quote picture end
    parts: tuple[str, ...]         # paragraphs of words, each spoken and shown
    picture: Picture | None = None
    speaker: str = ""              # the composite voice, for quotations
    cues: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (part, lines)

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.parts)

    @property
    def on_picture(self) -> bool:
        return self.kind in ("bridge", "picture") and self.picture is not None


def plain(markdown: str) -> str:
    """Bridge text is Markdown; on screen and in captions only its words count."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|[-*+]|\d+[.)]|>)\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    return " ".join(text.split())


def disclosure(contributors: int, voiced_by: str) -> str:
    """The composite disclosure (rule C14) used on the end card and in every sidecar."""
    text = f"A composite of {contributors} accounts. Names and details changed."
    return text + (f" Voiced by {voiced_by}." if voiced_by else " Text only, no voice-over.")


def build_units(composite: Composite, voiced_by: str, music_credit: str = "") -> list[Unit]:
    story = composite.story
    persona = story.persona
    units: list[Unit] = []

    def add(kind: str, parts, **kw) -> None:
        parts = tuple(p for p in (" ".join(str(x).split()) for x in parts) if p)
        units.append(Unit(len(units) + 1, kind, parts, **kw))

    add("title", [story.title, story.summary], picture=story.hero)
    add("persona", [persona.name, ", ".join(x for x in (persona.role, persona.setting) if x)])
    pool = list(story.images[1:]) or list(story.images[:1])
    used: list[Picture] = list(story.images[:1])
    cursor = 0
    for seg in composite.segments:
        if seg.kind == "heading":
            add("heading", [plain(seg.text)])
        elif seg.kind == "bridge":
            pic = None
            if pool:
                pic = pool[cursor % len(pool)]
                cursor += 1
                used.append(pic)
            add("bridge", [plain(seg.text)], picture=pic)
        elif seg.kind == "excerpt":
            # only the words travel on: never the excerpt or source id
            add("quote", [seg.text], speaker=persona.name)
    leftover = [p for p in story.images if p not in used]
    if leftover:
        quotes = [u for u in units if u.kind == "quote"] or units[-1:]
        step = max(1, len(quotes) // len(leftover))
        anchors = [quotes[min(i * step, len(quotes) - 1)] for i in range(len(leftover))]
        for pic, anchor in reversed(list(zip(leftover, anchors))):
            at = units.index(anchor) + 1
            units.insert(at, Unit(0, "picture", (pic.caption,) if pic.caption else (), picture=pic))
            used.append(pic)
    credits = sorted({p.credit for p in used if p.credit})
    credit_text = ""
    if credits:
        credit_text = "Pictures: " + "; ".join(credits) + "."
    if music_credit:
        credit_text += f" Music: {music_credit}."
    add("end", [disclosure(composite.contributors, voiced_by), credit_text])
    for i, unit in enumerate(units, 1):
        unit.number = i
        unit.cues = [(pi, lines) for pi, part in enumerate(unit.parts) for lines in chunk(part)]
    return units


def reading_seconds(lines: tuple[str, ...], wpm: int) -> float:
    text = " ".join(lines)
    by_words = len(text.split()) * 60.0 / wpm
    return min(MAX_CUE, max(MIN_CUE, by_words, len(text) / MAX_CPS))


@dataclass
class Speech:
    """How a unit is voiced: one clip per cue (synthetic), one clip for the unit
    (recorded), or none. Durations in seconds; `clips` are opaque keys for the mixer."""

    mode: str                                  # cues | unit | none
    durations: list[float] = field(default_factory=list)
    clips: list[object] = field(default_factory=list)


@dataclass
class Slide:
    index: int
    unit: Unit
    pages: list[tuple[int, int]]               # cue ranges; a card slide has one page
    start: float = 0.0
    end: float = 0.0
    start_frame: int = 0
    frames: int = 0
    page_starts: list[float] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)

    @property
    def card(self) -> bool:
        return not self.unit.on_picture


@dataclass
class Plan:
    frame: Frame
    units: list[Unit]
    slides: list[Slide]
    cues: list[Cue]
    placements: list[tuple[float, object]]    # (seconds, clip key) for the mixer
    total_frames: int
    crossfade_frames: int

    @property
    def duration(self) -> float:
        return self.total_frames / self.frame.fps

    @property
    def voiced(self) -> bool:
        return bool(self.placements)


def schedule(frame: Frame, units: list[Unit], pages: dict[int, list[tuple[int, int]]],
             speech: dict[int, Speech], wpm: int, min_slide: float,
             max_slide: float = 1e9) -> Plan:
    """Place every slide and cue on the clock; slide edges fall on whole frames."""
    t = 0.0
    slides: list[Slide] = []
    cues: list[Cue] = []
    placements: list[tuple[float, object]] = []
    for unit in units:
        sp = speech.get(unit.number, Speech("none"))
        durs = cue_durations(unit, sp, wpm, max_slide)
        unit_pages = pages.get(unit.number) or [(0, len(unit.cues))]
        groups = [unit_pages] if unit.on_picture else [[p] for p in unit_pages]
        unit_start = t
        if sp.mode == "unit" and sp.clips:
            placements.append((t + LEAD, sp.clips[0]))
        for gi, group in enumerate(groups):
            first, last = gi == 0, gi == len(groups) - 1
            contiguous = sp.mode == "unit"     # one recording runs across page edges
            slide = Slide(len(slides), unit, group, start=t)
            c = t + (LEAD if first or not contiguous else 0.0)
            for a, b in group:
                slide.page_starts.append(c)
                for i in range(a, b):
                    part, lines = unit.cues[i]
                    if sp.mode == "cues":
                        placements.append((c, sp.clips[i]))
                    cue = Cue(c, c + durs[i], lines, unit.speaker, unit.number)
                    slide.cues.append(cue)
                    cues.append(cue)
                    c += durs[i]
            end = c + (TAIL if last or not contiguous else 0.0)
            if not contiguous:
                end = max(end, t + min_slide)
            elif last:
                end = max(end, unit_start + min_slide)
            slide.end = end
            slides.append(slide)
            t = end
    fps = frame.fps
    xf = max(2, int(round(CROSSFADE * fps)))
    edges = [int(round(s.start * fps)) for s in slides] + [int(round(t * fps))]
    for s, a, b in zip(slides, edges, edges[1:]):
        s.start_frame, s.frames = a, b - a
    return Plan(frame, units, slides, cues, placements, edges[-1], xf)


def cue_durations(unit: Unit, sp: Speech, wpm: int, max_slide: float = 1e9) -> list[float]:
    if sp.mode == "cues":
        return [max(MIN_CUE, d + GAP) for d in sp.durations]
    if sp.mode == "unit" and sp.durations:
        # a recording of the whole unit: share its length by characters
        total = sp.durations[0]
        chars = [len(" ".join(lines)) for _, lines in unit.cues]
        whole = sum(chars) or 1
        return [total * c / whole for c in chars]
    # without a voice, the reader's time per cue is capped so no slide outstays max_slide
    cap = max(MIN_CUE, max_slide - LEAD - TAIL)
    return [min(cap, reading_seconds(lines, wpm)) for _, lines in unit.cues]

"""Render story videos: one job per (composite, format), each a straight line of
phases — plan → check assets → mix audio → draw and encode frames → sidecars →
quality check → publish.

Everything is written into a hidden temporary folder inside `out` and moved
into place only after the quality check passes, so a failed render leaves the
previous outputs untouched.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssetError, RenderError, StorygenError
from ..model import Composite, Project
from ..videofiles import file_names, transcript_text
from . import audio, qc, voice
from .audio import AudioFiles
from .captions import to_srt, to_vtt
from .encode import encode_video, mux, normalise_audio
from ..pictures import locate_picture
from .formats import DEFAULT_CAPS, Frame, format_tag, make_frame, normalise_format
from .frames import Stills, contact_sheet, stream
from .slides import Pictures, paginate
from .theme import load_theme
from .timeline import Plan, build_units, cue_durations, disclosure, schedule


@dataclass
class VideoResult:
    """What one render produced, with the facts the quality check measured."""

    slug: str
    format: str              # "16:9"
    tag: str                 # "16x9", as in the file names
    video: Path
    vtt: Path
    srt: Path
    transcript: Path
    poster: Path
    contact: Path
    width: int
    height: int
    fps: int
    frames: int
    duration: float          # seconds, measured
    planned: float           # seconds, from the plan
    loudness: float | None   # LUFS integrated, measured (None: silent track)
    true_peak: float | None  # dBTP, measured
    voice: str               # none | recorded | espeak | piper
    music: bool
    burned_captions: bool
    seconds: float           # wall time of the render


@dataclass(frozen=True)
class Job:
    composite: Composite
    format: str
    quality: str
    burn: bool


def plan_jobs(project: Project, composites: list[Composite], formats: list[str] | None,
              quality: str | None, burn_captions: bool | None) -> list[Job]:
    cfg = project.config.video
    q = quality or cfg.quality
    burn = cfg.burn_captions if burn_captions is None else burn_captions
    jobs = []
    for comp in composites:
        if "video" not in comp.story.media:
            continue
        wanted = formats or list(comp.story.video_formats) or list(cfg.formats)
        for fmt in dict.fromkeys(normalise_format(f) for f in wanted):
            jobs.append(Job(comp, fmt, q, burn))
    return jobs


def render_videos(project: Project, composites: list[Composite], out: Path, *,
                  formats: list[str] | None = None, quality: str | None = None,
                  burn_captions: bool | None = None, jobs: int = 1,
                  progress: bool = True) -> list[VideoResult]:
    """Render every video-enabled composite in every requested format into `out`.

    Formats: the argument, else each story's `video_formats`, else `video.formats`.
    Raises AssetError for unusable assets and RenderError when a render or its
    quality check fails. With jobs > 1, renders run in parallel processes.
    """
    out = Path(out)
    work = plan_jobs(project, composites, formats, quality, burn_captions)
    problems = preflight(project, work)
    if problems:
        raise problems[0]
    out.mkdir(parents=True, exist_ok=True)
    _return_big_buffers_to_the_os()
    show = progress and sys.stderr.isatty()
    if jobs <= 1 or len(work) <= 1:
        results = []
        for job in work:
            bar = _Bar(f"{job.composite.story.slug} {job.format}") if show else None
            results.append(render_one(project, job, out, bar))
            if bar:
                bar.done()
        return results
    results_by_index: dict[int, VideoResult] = {}
    bar = _Bar("videos") if show else None
    if bar:
        bar.total = len(work)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(render_one, project, job, out, None): i for i, job in enumerate(work)}
        try:
            for fut in as_completed(futures):
                results_by_index[futures[fut]] = fut.result()
                if bar:
                    bar.update(len(results_by_index))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    if bar:
        bar.done()
    return [results_by_index[i] for i in range(len(work))]


def _return_big_buffers_to_the_os() -> None:
    """Have glibc map every allocation of 1 MiB or more on its own, and unmap it when freed.

    Frames, planes and stills are arrays of a few MB. By default glibc raises its
    mmap threshold after the first such block is freed (up to 32 MiB), so later
    ones come from the heap, which fragments and never shrinks: measured on the
    60-s benchmark, Python's peak was 283 MB with the default and 214 MB with this.
    Process-wide and harmless elsewhere; a no-op where glibc is not the allocator."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)          # M_MMAP_THRESHOLD; also stops the dynamic raising
    except (OSError, AttributeError):
        pass


def preflight(project: Project, work: list[Job]) -> list[StorygenError]:
    """Every problem that would stop a render, found before any encoding starts: the video
    theme, voice and narration, music, each job's plan (a story over its format's cap) and
    its pictures. One problem per job at most (the first its render would meet), and one
    per shared file (a broken theme is named once)."""
    problems: list[StorygenError] = []
    seen: set[str] = set()

    def note(exc: StorygenError) -> None:
        where = f"{exc.path}:{exc.problem.split(' [story ')[0]}"
        if where not in seen:
            seen.add(where)
            problems.append(exc)

    cfg = project.config.video
    if audio.RATE % cfg.fps:
        return [RenderError(f"frame rate {cfg.fps} does not divide 48 kHz evenly",
                            hint="set video.fps to 24, 25, 30, 50 or 60")]
    files = AudioFiles()
    for job in work:
        try:
            plan, frame, _, _ = build_plan(project, job, files)
            pictures = Pictures(project.root / "assets", frame, job.composite.story.slug, cfg.max_upscale)
            for u in plan.units:
                if u.picture is not None:
                    locate_picture(project.root / "assets", u.picture.image, job.composite.story.file)
                    pictures.check(u.picture.image)
            if cfg.music:
                files.check(project.root / "assets" / cfg.music, job.composite.story.slug)
        except StorygenError as exc:
            note(exc)
    return problems


def build_plan(project: Project, job: Job, files: AudioFiles | None = None) -> tuple[Plan, Frame, object, str]:
    """The timed plan for one job (speech synthesised, or taken from the speech cache, if needed).
    `files`: audio already decoded in this render (narration is measured here, mixed later)."""
    files = files if files is not None else AudioFiles()
    cfg = project.config.video
    story = job.composite.story
    frame = make_frame(job.format, job.quality, cfg.fps, cfg.size)
    theme = load_theme(project.root, story.slug)
    mode = voice.effective_voice(story.narration, cfg.voice)
    units = build_units(job.composite, voice.voiced_by(mode, cfg.voiced_by), cfg.music_credit)
    speech = voice.prepare(units, voice=cfg.voice, assets=project.root / "assets", slug=story.slug,
                           narration=story.narration, language=project.config.site.language,
                           model=cfg.voice_model, root=project.root, files=files)
    pages = {}
    for u in units:
        durs = cue_durations(u, speech.get(u.number, voice.Speech("none")), cfg.words_per_minute,
                             cfg.max_slide_seconds)
        pages[u.number] = paginate(u, durs, theme, frame, cfg.max_slide_seconds, job.burn)
    plan = schedule(frame, units, pages, speech, cfg.words_per_minute, cfg.min_slide_seconds,
                    cfg.max_slide_seconds)
    caps = {**DEFAULT_CAPS, **{normalise_format(k): float(v) for k, v in cfg.caps.items()}}
    if plan.duration > caps[job.format]:
        raise AssetError(
            f"story {story.slug} runs {plan.duration:.0f} s, over the {caps[job.format]:.0f} s cap "
            f"for {job.format} videos", path=story.origin.path if story.origin else None,
            hint=f"shorten the story, drop {job.format} from its video_formats, "
                 f"or raise video.caps for \"{job.format}\"")
    return plan, frame, theme, mode


def render_one(project: Project, job: Job, out: Path, bar: "_Bar | None" = None) -> VideoResult:
    started = time.perf_counter()
    cfg = project.config.video
    story = job.composite.story
    slug, tag = story.slug, format_tag(job.format)
    assets = project.root / "assets"
    with tempfile.TemporaryDirectory(dir=out, prefix=f".tmp-{slug}-{tag}-") as tmp:
        work = Path(tmp)
        files = AudioFiles()
        plan, frame, theme, mode = build_plan(project, job, files)
        pictures = Pictures(assets, frame, slug, cfg.max_upscale)   # checked by preflight()
        music = assets / cfg.music if cfg.music else None
        wav = work / "mix.wav"
        sounding = audio.mix(plan, music, wav, slug, files)

        names = {k: work / name for k, name in file_names(slug, tag).items()}
        note = disclosure(job.composite.contributors, voice.voiced_by(mode, cfg.voiced_by))

        def side_work():
            """Sound (two ffmpeg passes) and sidecars: done in a second thread while the
            frames are drawn and encoded, on the CPU time x264 leaves idle."""
            stats = audio.measure_loudness(wav, cfg.loudness) if sounding else None
            normalise_audio(wav, audio.loudnorm_filter(stats, cfg.loudness), work / "sound.wav")
            names["vtt"].write_text(to_vtt(plan.cues, note), encoding="utf-8")
            names["srt"].write_text(to_srt(plan.cues), encoding="utf-8")
            names["transcript"].write_text(transcript(plan, story.title, note), encoding="utf-8")
            return stats

        if bar:
            bar.total = plan.total_frames
        stills = Stills(plan)
        # leaving the with-block waits for the side work, even when the encode fails
        with ThreadPoolExecutor(max_workers=1) as side:
            pending = side.submit(side_work)
            encode_video(stream(plan, theme, pictures, job.burn, stills), frame, plan.total_frames,
                         work / "picture.mp4", on_frame=bar.update if bar else None)
            stats = pending.result()
        stills.poster.save(names["poster"], "JPEG", quality=88)          # Pillow writes no EXIF here
        contact_sheet(plan, theme, stills).save(names["contact"], "PNG")
        mux(work / "picture.mp4", work / "sound.wav", frame.quality.audio_bitrate, names["video"])
        for done in ("picture.mp4", "sound.wav", "mix.wav"):
            (work / done).unlink()

        facts = qc.check(names["video"], names["vtt"], width=frame.width, height=frame.height,
                         fps=frame.fps, frames=plan.total_frames,
                         loudness=cfg.loudness if stats else None, story=slug,
                         decode=False)   # frame count from the container, as ffprobe nb_frames; tests decode
        final = {k: out / p.name for k, p in names.items()}
        for k, p in names.items():
            os.replace(p, final[k])
    return VideoResult(
        slug=slug, format=job.format, tag=tag, **final,
        width=frame.width, height=frame.height, fps=frame.fps, frames=facts.video.samples,
        duration=facts.duration, planned=plan.duration, loudness=facts.loudness_i,
        true_peak=facts.true_peak, voice=mode if plan.voiced else "none", music=bool(music),
        burned_captions=job.burn, seconds=time.perf_counter() - started)


def transcript(plan: Plan, title: str, note: str) -> str:
    """Plain text of everything spoken or shown, in order, with picture descriptions."""
    groups = [[title, note]]
    for u in plan.units:
        if u.kind == "title":
            groups.append(list(u.parts[1:]))
        elif u.kind == "quote":
            groups.append([f"{u.speaker}: “{' '.join(u.parts)}”"])
        elif u.kind == "end":
            groups.append([p for p in u.parts if p != note])
        else:
            picture = [f"[Picture: {u.picture.alt}]"] if u.picture is not None and not u.picture.decorative else []
            groups.append(picture + list(u.parts))
    return transcript_text(groups)


class _Bar:
    """A one-line progress bar on stderr (only used when stderr is a terminal)."""

    def __init__(self, label: str):
        self.label, self.total, self.start = label, 1, time.perf_counter()
        self._last = 0.0

    def update(self, n: int) -> None:
        now = time.perf_counter()
        if now - self._last < 0.2 and n < self.total:
            return
        self._last = now
        share = min(1.0, n / max(1, self.total))
        filled = int(share * 30)
        rate = n / max(1e-9, now - self.start)
        sys.stderr.write(f"\r{self.label[:32]:32} [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{share:4.0%} {rate:5.1f}/s")
        sys.stderr.flush()

    def done(self) -> None:
        self.update(self.total)
        sys.stderr.write("\n")
        sys.stderr.flush()


__all__ = ["VideoResult", "render_videos", "preflight", "plan_jobs"]

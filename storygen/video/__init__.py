"""Story videos: captioned, voiced, well-mixed slideshows in every social format.

The video output (storygen/outputs.py): `OUTPUT.preflight` lists every problem a
render would stop on (theme, voice, narration, music, caps, pictures) and
`OUTPUT.render` renders every video-enabled story in every format into its
folder (render.py). Modules: timeline (units, cues, timing), slides (layouts),
motion (pan and zoom), frames (the frame stream, poster, contact sheet), audio
(mix, ducking, loudness), voice (recorded and synthetic narration), captions
(cues, WebVTT, SRT), encode (ffmpeg), qc (the quality check).

Importing this package is cheap: the renderer (numpy, OpenCV, Pillow) loads on
first use, so `storygen --help` and the up-to-date check never pay for it.
"""
from __future__ import annotations

from ..outputs import Output, RenderJob


def preflight_videos(project, composites, options) -> list:
    from .render import plan_jobs, preflight as check_jobs

    return check_jobs(project, plan_jobs(project, composites, list(options.formats) or None,
                                         options.quality, options.burn_captions))


def render_job(job: RenderJob) -> list:
    from .render import render_videos

    options = job.options
    return render_videos(job.project, job.composites, job.folder, formats=list(options.formats) or None,
                         quality=options.quality, burn_captions=options.burn_captions, jobs=options.jobs,
                         progress=job.progress)


OUTPUT = Output(name="video", preflight=preflight_videos, render=render_job)


def __getattr__(name: str):
    if name in ("VideoResult", "render_videos"):
        from . import render as module

        return getattr(module, name)
    raise AttributeError(name)


__all__ = ["OUTPUT", "VideoResult", "render_videos"]

"""The story site: composites in, a complete static site out.

The site output (storygen/outputs.py): `preflight` lists every problem the
render would stop on that can be known beforehand (slugs, pictures, template
syntax, an incomplete published video), and `render_job` renders the site into
its folder (render.py, the pipeline). Modules: public (the privacy boundary:
composites to plain public data), pages, feeds, cards, images, media (the
videos), search (Pagefind), links (the link check), env (templates),
cache (content-addressed), output (the folder being written).
"""
from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.sandbox import SecurityError

from ..errors import AssetError, RenderError, StorygenError
from ..model import Composite, Project
from ..options import BuildOptions
from ..outputs import Output, RenderJob, parts
from . import images, media
from .cache import Cache, digest
from .env import TEMPLATES, make_env, theme_fingerprint
from .render import SiteStats, check_slugs, default_cache_dir, render_site, story_file


def preflight(project: Project, composites: list[Composite], options: BuildOptions) -> list[StorygenError]:
    """What the site render would stop on, found before rendering anything."""
    shown = [c for c in composites if "site" in c.story.media]
    problems: list[StorygenError] = []
    try:
        check_slugs(shown)
    except StorygenError as exc:
        problems.append(exc)
    problems += _pictures(project, shown) + _templates(project)
    if "video" not in parts(options.only):       # the published videos are embedded as they are
        out = options.out or project.root / project.config.build.output
        problems += _published_videos(shown, out / "video")
    return problems


def _pictures(project: Project, shown: list[Composite]) -> list[StorygenError]:
    from PIL import Image

    problems, seen = [], set()
    for composite in shown:
        for picture in composite.story.images:
            try:
                images.check_picture(picture, story_file(composite))
                if picture.image in seen:         # a thousand stories share a few pictures
                    continue
                seen.add(picture.image)
                source = images.locate(project.root / "assets", picture, story_file(composite))
                with Image.open(source) as im:           # the header: a file that is no picture fails here
                    im.size
            except StorygenError as exc:
                problems.append(exc)
            except (OSError, ValueError) as exc:
                problems.append(AssetError(f"image {picture.image!r} cannot be read: {exc}",
                                           path=story_file(composite), hint="re-export it as JPEG or PNG"))
    return problems


def _templates(project: Project) -> list[StorygenError]:
    """Every template the site can use, compiled: a syntax error is named with its file and line.

    Templates found good are remembered by their fingerprint in the site cache, so a
    rebuild (`storygen serve`) compiles them again only after a template changed."""
    fingerprint = digest("templates compile", theme_fingerprint(project.root / "templates"), jinja2.__version__)
    cache = Cache(default_cache_dir(project))
    if cache.load_index("templates").get("compiled") == fingerprint:
        return []
    env = make_env(project.root / "templates")
    names = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")}
    own = project.root / "templates"
    if own.is_dir():
        names |= {p.relative_to(own).as_posix() for p in own.rglob("*.html")}
    problems = []
    for name in sorted(names):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(RenderError(f"template syntax error: {exc.message}", path=exc.filename or exc.name,
                                        line=exc.lineno, hint="fix the Jinja2 syntax on that line"))
        except jinja2.TemplateNotFound as exc:
            problems.append(RenderError(f"template {exc.name!r} not found (used by {name})",
                                        hint="check the name in {% extends %} / {% include %}; the built-in "
                                             "theme is reached as \"!default/NAME\""))
        except SecurityError as exc:        # a link out of templates/: refused, never read
            problems.append(RenderError(f"template {name!r} was refused: {exc}", path=own / name,
                                        hint="copy the template into templates/ instead of linking to it"))
    if not problems:
        cache.save_index("templates", {"compiled": fingerprint})
    return problems


def _published_videos(shown: list[Composite], video_dir: Path) -> list[StorygenError]:
    if not video_dir.is_dir():
        return []
    problems = []
    for composite in shown:
        try:
            media.check_video(composite.story.slug, video_dir)
        except StorygenError as exc:
            problems.append(exc)
    return problems


def render_job(job: RenderJob) -> SiteStats:
    video_dir = job.folders.get("video")
    return render_site(job.project, job.composites, job.folder, drafts=job.options.drafts,
                       video_dir=video_dir if video_dir is not None and video_dir.is_dir() else None,
                       live=job.live, timings=job.timings)


OUTPUT = Output(name="site", preflight=preflight, render=render_job, live=True)

__all__ = ["OUTPUT", "SiteStats", "default_cache_dir", "render_site"]

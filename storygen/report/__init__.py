"""The report output: an accessible, print-ready PDF and a Word review pack.

`build/report/<title>.pdf`: cover, contents, how the stories were made, a
chapter per theme (its stories, pull quotes, where it appears), every story in
full, and an appendix of theme counts. With `--story SLUG`, each chosen story
as its own PDF instead (`build/report/<slug>.pdf`). `build/report/review/<slug>.docx`:
each story in Word for reviewers; with `--with-provenance`, the same with a
comment on each excerpt naming its source, under build/private/review/ only.
Modules: content (the public data of the document, through storygen.public),
pdf (pictures and the Typst compile), report.typ (the layout), word (the review
pack). docs/report.md describes the output.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import AssetError, StorygenError
from ..model import Composite, Project
from ..options import BuildOptions
from ..outputs import Output, RenderJob
from ..parallel import pmap_shared
from ..pictures import locate_picture
from ..public import slugify
from . import content, pdf, word

MEDIUM = "report"


def _shown(composites: list[Composite]) -> list[Composite]:
    return [c for c in composites if MEDIUM in c.story.media]


def preflight(project: Project, composites: list[Composite], options: BuildOptions) -> list[StorygenError]:
    """Pictures the report would embed: alt text (or decorative), inside the project, readable."""
    from PIL import Image

    problems: list[StorygenError] = []
    wanted: list[tuple[str, object, str]] = []
    settings = project.config.report
    if settings.logo:
        wanted.append((settings.logo, lambda: pdf.locate_logo(project.root, settings.logo), "storygen.toml"))
    assets = project.root / "assets"
    for composite in _shown(composites):
        story = composite.story
        for picture in story.images:
            if not picture.decorative and not picture.alt.strip():
                problems.append(AssetError(f"image {picture.image!r} has no alt text", path=story.file,
                                           hint="add `alt:` describing the picture, or `decorative: yes`"))
            wanted.append((picture.image, lambda p=picture, s=story: locate_picture(assets, p.image, s.file),
                           story.file))
    seen: set[Path] = set()
    for name, find, where in wanted:
        try:
            source = find()
            if source in seen:
                continue
            seen.add(source)
            with Image.open(source) as im:
                im.size
        except StorygenError as exc:
            problems.append(exc)
        except (OSError, ValueError) as exc:
            problems.append(AssetError(f"image {name!r} cannot be read: {exc}", path=where,
                                       hint="re-export it as JPEG or PNG"))
    return problems


def render(job: RenderJob) -> dict:
    """Write the report PDF (or one per --story) into job.folder. Returns {file name: stories}."""
    project = job.project
    shown = _shown(job.composites)
    written: dict[str, int] = {}
    with pdf.scratch() as scratch:
        pictures = pdf.Pictures(project.root, Path(scratch))
        paths = {}
        for composite in shown:
            for picture in composite.story.images:
                source = locate_picture(project.root / "assets", picture.image, composite.story.file)
                paths[picture.image] = pictures.add(source)
        logo = None
        if project.config.report.logo:
            logo = pictures.add(pdf.locate_logo(project.root, project.config.report.logo))
        if job.options.slugs:
            for composite in shown:
                with job.timings.phase("report.pdf", sub=True):
                    data = content.document(project, [composite], paths, logo=logo, title=composite.story.title)
                    data["single"] = True
                    name = f"{composite.story.slug}.pdf"
                    (job.folder / name).write_bytes(pdf.compile_pdf(data, Path(scratch)))
                written[name] = 1
        else:
            with job.timings.phase("report.pdf", sub=True):
                data = content.document(project, shown, paths, logo=logo)
                data["single"] = False
                name = f"{slugify(project.config.site.title)}.pdf"
                (job.folder / name).write_bytes(pdf.compile_pdf(data, Path(scratch)))
            written[name] = len(shown)
        with job.timings.phase("report.review", sub=True):
            written.update(_review_pack(job, shown, paths, Path(scratch)))
    return written


def _review_pack(job: RenderJob, shown: list[Composite], paths: dict[str, str], scratch: Path) -> dict[str, int]:
    """build/report/review/<slug>.docx for each story; with --with-provenance, the private pack too."""
    project = job.project
    settings = {"site_title": project.config.site.title, "language": project.config.site.language,
                "day": content.report_date(shown), "pictures": scratch}
    private = job.private / "review" if job.options.with_provenance and job.private is not None else None
    tasks = []
    for composite in shown:
        story = content.story_data(project, composite, paths)
        tasks.append((job.folder / "review" / f"{composite.story.slug}.docx", story, None))
        if private is not None:
            provenance = [(s.excerpt_id, s.source_id) for s in composite.excerpt_segments]
            tasks.append((private / f"{composite.story.slug}.docx", story, provenance))
    for folder in {task[0].parent for task in tasks}:
        folder.mkdir(parents=True, exist_ok=True)
    pmap_shared(_write_review, settings, tasks)       # ~20 ms a document: over the CPUs
    return {f"review/{c.story.slug}.docx": 1 for c in shown}


def _write_review(settings: dict, task: tuple) -> None:
    path, story, provenance = task
    path.write_bytes(word.review_document(story, provenance=provenance, **settings))


OUTPUT = Output(name=MEDIUM, preflight=preflight, render=render)

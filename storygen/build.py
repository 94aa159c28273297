"""`storygen build` and `storygen check`, as phases that read top to bottom.

    load → select → compose → check (integrity + privacy) → render (video, site)
         → scan the output → publish atomically

Everything is read and checked before anything is written, and everything is
written into a staging folder that replaces the previous output only when every
phase has passed: a failed build leaves `build/` exactly as it was.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

from .compose.assemble import compose_all
from . import uptodate
from .compose.rules import check_composites
from .cache import cache_root
from .config import load_config
from .errors import CheckFailed, ProjectError
from .model import Composite, Finding, Project
from .outdir import output_folder
from .project import load_project, require_story
from .publish import publish, staging, write_json
from .uptodate import UpToDate


@dataclass
class Timings:
    """Seconds per phase, for `--timings` (like Hugo's --templateMetrics)."""

    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def table(self) -> str:
        # Sub-phases (indented names, reported by a renderer) are already inside their parent's time.
        total = sum(v for k, v in self.phases.items() if not k.startswith(" "))
        lines = [f"{name:<22}{seconds:>9.3f} s" for name, seconds in self.phases.items()]
        return "\n".join(["phase                       time", *lines, f"{'total':<22}{total:>9.3f} s"])


@dataclass
class CheckResult:
    project: Project
    composites: list[Composite]
    findings: list[Finding]
    privacy: object | None = None          # storygen.privacy.GuardReport when the guard ran

    @property
    def blocking(self) -> bool:
        if self.privacy is not None and self.privacy.blocking:
            return True
        return any(f.action == "block" for f in self.findings)


def publishable(project: Project, *, drafts: bool, slugs: tuple[str, ...] = ()) -> list:
    """The stories this run publishes: approved ones, drafts too with --drafts (C13)."""
    require_stories(project, slugs, drafts=drafts)
    chosen = [s for s in project.stories if s.approved or drafts]
    return [s for s in chosen if not slugs or s.slug in slugs]


def require_stories(project: Project, slugs: tuple[str, ...], *, drafts: bool) -> None:
    """Each --story names a story this run would publish; a typo must not build an empty site."""
    for slug in slugs:
        story = require_story(project, slug)
        if not (story.approved or drafts):
            raise ProjectError(f"story `{slug}` is {story.status}, so it is not published", path=story.origin.path,
                               hint="add --drafts to include drafts, or set `status: approved` once reviewed")


def check(project_root: Path, *, drafts: bool = False, slugs: tuple[str, ...] = (),
          timings: Timings | None = None) -> CheckResult:
    """Load, compose and check; never writes anything."""
    timings = timings or Timings()
    with timings.phase("load"):
        project = load_project(project_root)
        require_stories(project, slugs, drafts=drafts)
    with timings.phase("compose"):
        # Rules that span stories (C10) need every published story, whatever --story says.
        stories = publishable(project, drafts=drafts)
        composites = compose_all(project, stories)
    with timings.phase("check"):
        findings = check_composites(project, composites)
        privacy = _guard(project, composites)
    if slugs:
        composites = [c for c in composites if c.story.slug in slugs]
    return CheckResult(project, composites, findings, privacy)


def _guard(project: Project, composites: list[Composite]):
    if not project.config.privacy.enabled:
        return None
    from . import privacy

    return privacy.guard_project(project, composites)


def report(result: CheckResult, *, echo=click.echo) -> list[str]:
    """Print findings, one line each, worst first; silence when there are none. Returns the lines."""
    findings = list(result.findings)
    if result.privacy is not None:
        findings.extend(result.privacy.findings)
    order = {"block": 0, "signoff": 1, "warn": 2}
    lines = [f.format() for f in sorted(findings, key=lambda f: (order[f.action], f.story or "", f.rule))]
    for line in lines:
        echo(line, err=True)
    return lines


def build(project_root: Path, *, only: str | None = None, slugs: tuple[str, ...] = (), drafts: bool = False,
          out: Path | None = None, formats: list[str] | None = None, quality: str | None = None,
          burn_captions: bool | None = None, jobs: int = 1, timings: Timings | None = None,
          progress: bool | None = None, reuse: bool = False) -> CheckResult | UpToDate:
    """Build the site and videos for every publishable story into `out` (default build/).

    With `reuse`, first fingerprint every input (storygen.uptodate) and return an
    `UpToDate` without loading the project when `out` was built from exactly these.
    """
    timings = timings or Timings()
    progress = sys.stderr.isatty() if progress is None else progress
    configured = load_config(project_root).build.output
    default_out = project_root / configured
    target = output_folder(project_root, out, configured)      # refuses folders it must never replace
    out = target.path
    parts = ["private"] + [p for p in ("video", "site") if only in (None, p)]
    with timings.phase("fingerprint"):
        options = {"only": only, "slugs": list(slugs), "drafts": drafts, "out": str(out), "formats": formats,
                   "quality": quality, "burn_captions": burn_captions, "jobs": jobs}
        inputs = uptodate.fingerprint(project_root, out, options, default_out)
        if reuse:
            done = uptodate.check_stamp(project_root, out, parts, inputs)
            if done is not None:
                return done
    result = check(project_root, drafts=drafts, slugs=slugs, timings=timings)
    warnings = report(result)
    if result.blocking:
        raise CheckFailed("the build stopped before writing anything: fix the findings above "
                          "(run `storygen check` to see them again)")
    project, composites = result.project, result.composites
    target.claim()
    with staging(out) as stage:
        if "video" in parts:
            with timings.phase("render.video"):
                from .video import render_videos

                render_videos(project, composites, stage / "video", formats=formats, quality=quality,
                              burn_captions=burn_captions, jobs=jobs, progress=progress)
        if "site" in parts:
            video_dir = stage / "video" if "video" in parts else out / "video"
            with timings.phase("render.site"):
                from .site import render_site

                site_timings: dict[str, float] = {}
                # With the guard on, the output scan below searches every file for private ids.
                render_site(project, composites, stage / "site", drafts=drafts,
                            video_dir=video_dir if video_dir.is_dir() else None, timings=site_timings,
                            provenance_scan=not project.config.privacy.enabled)
            for name, seconds in site_timings.items():
                timings.phases[f"  {name}"] = seconds
        with timings.phase("scan"):
            scan_findings = _scan(project, composites, stage, parts, result.privacy)
        _write_private(project, composites, result, scan_findings, stage / "private")
        if scan_findings:
            for finding in scan_findings:
                click.echo(finding.format(), err=True)
            raise CheckFailed("private or identifying text reached a file about to be published; "
                              f"nothing was published and {out} is unchanged")
        with timings.phase("publish"):
            publish(stage, out, parts, trash_root=cache_root(project.root) / "trash")
    uptodate.write_stamp(project_root, out, parts, inputs, warnings)
    return result


def _scan(project: Project, composites: list[Composite], stage: Path, parts: list[str], report) -> list[Finding]:
    if not project.config.privacy.enabled:
        return []
    from . import privacy

    folders = [stage / part for part in ("site", "video") if part in parts and (stage / part).is_dir()]
    return privacy.scan_output(folders, project, composites, report) if folders else []


def _write_private(project: Project, composites: list[Composite], result: CheckResult,
                   scan_findings: list[Finding], folder: Path) -> None:
    """The private provenance map (C1) and audit trail (R17): under build/private/, never under site/."""
    provenance = {}
    for composite in composites:
        provenance[composite.story.slug] = {
            "status": composite.story.status,
            "segments": [
                {"index": i, "kind": s.kind, "excerpt": s.excerpt_id, "source": s.source_id,
                 "text_hash": s.text_hash, "story_line": s.line, "words": s.words}
                for i, s in enumerate(composite.segments)],
            "source_words": composite.stats.source_words,
            "theme_sources": {k: list(v) for k, v in composite.stats.theme_sources.items()},
        }
    write_json(folder / "provenance.json", provenance)
    if result.privacy is not None:
        from . import privacy

        privacy.write_audit(folder / "audit.json", result.privacy, scan_findings)

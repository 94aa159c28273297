"""`storygen build` and `storygen check`, as phases that read top to bottom.

    load → select → compose → check (integrity, privacy, each output's preflight)
         → render (each output in storygen/outputs.py) → scan the output → publish atomically

Everything is read and checked before anything is written, and everything is
written into a staging folder that replaces the previous output only when every
phase has passed: a failed build leaves `build/` exactly as it was.

`storygen serve` calls the same `build()` with the build context it keeps
between rebuilds and a folder to preview in (as MkDocs' serve calls its build
with `live_server=True`): findings then show in the preview's DRAFT banner
instead of stopping it, and nothing is published.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from . import outputs, uptodate
from .cache import cache_folder
from .compose.assemble import compose_all
from .compose.rules import check_composites
from .config import load_config
from .context import BuildContext
from .errors import CheckFailed, ProjectError, StorygenError
from .model import Composite, Finding, Project
from .options import BuildOptions
from .outdir import output_folder
from .outputs import LivePreview, Output, RenderJob
from .project import load_project, require_story
from .publish import publish, staging, write_json
from .timings import Timings
from .uptodate import UpToDate

__all__ = ["BuildOptions", "CheckResult", "Timings", "UpToDate", "build", "check", "publishable", "report"]


@dataclass
class CheckResult:
    project: Project
    composites: list[Composite]
    findings: list[Finding]
    privacy: object | None = None          # storygen.privacy.GuardReport when the guard ran
    # What the outputs' preflights found: errors the render would raise (bad input, exit 2).
    problems: list[StorygenError] = field(default_factory=list)
    # After a build: each output's summary of its render, by output name.
    rendered: dict[str, object] = field(default_factory=dict)
    # After a preview build: the findings shown in the DRAFT banner.
    notices: list[str] = field(default_factory=list)
    # `check --all`: the privacy guard over every excerpt in the project, quoted or not.
    pool: list[Finding] = field(default_factory=list)

    @property
    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(self.privacy.findings if self.privacy is not None else ()), *self.pool]

    @property
    def blocking(self) -> bool:
        if self.privacy is not None and self.privacy.blocking:
            return True
        if any(not getattr(f, "resolved", f.action == "warn") for f in self.pool):
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
          timings: Timings | None = None, context: BuildContext | None = None,
          options: BuildOptions | None = None, only: list[Output] | None = None) -> CheckResult:
    """Load, compose and check, including every output's preflight; never writes a published file.

    `options` are the build's (for what the preflights check: formats, quality…);
    `only` limits the preflights to these outputs (default: every output).
    """
    timings = timings or Timings()
    context = context or BuildContext()
    options = options or BuildOptions(drafts=drafts, slugs=tuple(slugs))
    with timings.phase("load"):
        project = load_project(project_root, yaml_trees=context.yaml_trees)
        require_stories(project, options.slugs, drafts=options.drafts)
    with timings.phase("compose"):
        # Rules that span stories (C10) need every published story, whatever --story says.
        stories = publishable(project, drafts=options.drafts)
        composites = compose_all(project, stories, context=context)
    with timings.phase("check"):
        findings = check_composites(project, composites)
        privacy = _guard(project, composites, context)
    if options.slugs:
        composites = [c for c in composites if c.story.slug in options.slugs]
    with timings.phase("preflight"):
        problems = _once([p for output in (only if only is not None else outputs.selected())
                          for p in output.preflight(project, composites, options)])
    return CheckResult(project, composites, findings, privacy, problems)


def _once(problems: list[StorygenError]) -> list[StorygenError]:
    """Each problem once: outputs that share an input (a story's picture) find the same fault."""
    kept: dict[str, StorygenError] = {}
    for problem in problems:
        kept.setdefault(str(problem), problem)
    return list(kept.values())


def _guard(project: Project, composites: list[Composite], context: BuildContext):
    if not project.config.privacy.enabled:
        return None
    from . import privacy

    return privacy.guard_project(project, composites, context)


def report(result: CheckResult, *, echo=click.echo) -> list[str]:
    """Print findings, one line each, worst first; silence when there are none. Returns the lines."""
    from .findings import lines as finding_lines

    lines = finding_lines(result.all_findings)
    if result.privacy is not None and result.privacy.notice:
        lines.append(f"note: {result.privacy.notice}")
    for line in lines:
        echo(line, err=True)
    return lines


def raise_problems(result: CheckResult, *, echo=click.echo) -> None:
    """Stop on the outputs' preflight problems: each is printed, the last raised (exit 2)."""
    if not result.problems:
        return
    for problem in result.problems[:-1]:
        echo(f"error: {problem.format_message()}", err=True)
    raise result.problems[-1]


def build(project_root: Path, options: BuildOptions | None = None, *, context: BuildContext | None = None,
          preview: Path | None = None, timings: Timings | None = None, progress: bool | None = None,
          reuse: bool = False, reload: bool = True) -> CheckResult | UpToDate:
    """Build every output for every publishable story into `options.out` (default build/).

    With `reuse`, first fingerprint every input (storygen.uptodate) and return an
    `UpToDate` without loading the project when the output was built from exactly
    these. `context` carries in-memory caches between builds (a fresh one if None).
    `preview`: render the outputs `storygen serve` previews into this folder, one
    subfolder each, with findings as notices; publish nothing. `reload=False` leaves the
    live-reload script out of a preview (the studio's preview, whose pages must be byte for
    byte what the site publishes, reloads itself).
    """
    options = options or BuildOptions()
    context = context or BuildContext()
    context.builds += 1
    timings = timings or Timings()
    progress = sys.stderr.isatty() if progress is None else progress
    if preview is not None:
        return _preview(project_root, options, context, preview, timings, reload)
    configured = load_config(project_root).build.output
    default_out = project_root / configured
    target = output_folder(project_root, options.out, configured)      # refuses folders it must never replace
    options = replace(options, out=target.path)
    out = target.path
    parts = ["private"] + outputs.parts(options.only)
    with timings.phase("fingerprint"):
        inputs = uptodate.fingerprint(project_root, options, default_out)
        if reuse:
            done = uptodate.check_stamp(project_root, out, parts, inputs)
            if done is not None:
                return done
    chosen = outputs.selected(options.only)
    result = check(project_root, options=options, timings=timings, context=context, only=chosen)
    warnings = report(result)
    if result.blocking:
        raise CheckFailed("the build stopped before writing anything: fix the findings above "
                          "(run `storygen check` to see them again)")
    raise_problems(result)
    project, composites = result.project, result.composites
    target.claim()
    with staging(out, cache_folder(project.root, "staging")) as stage:
        folders = {name: out / name for name in outputs.inputs_published(options.only)}
        folders.update({output.name: stage / output.name for output in chosen})
        for output in chosen:
            folders[output.name].mkdir(parents=True, exist_ok=True)
            job = RenderJob(project, composites, folders[output.name], options, folders,
                            memory=context.memory_for(output), timings=timings, progress=progress,
                            private=stage / "private")
            with timings.phase(f"render.{output.name}"):
                result.rendered[output.name] = output.render(job)
        with timings.phase("scan"):
            scan_findings = _scan(project, composites, [folders[o.name] for o in chosen], result.privacy, context)
        _write_private(project, composites, result, scan_findings, stage / "private")
        if scan_findings:
            for finding in scan_findings:
                click.echo(finding.format(), err=True)
            raise CheckFailed("private or identifying text reached a file about to be published; "
                              f"nothing was published and {out} is unchanged")
        with timings.phase("publish"):
            publish(stage, out, parts, trash_root=cache_folder(project.root, "trash"))
    uptodate.write_stamp(project_root, out, parts, inputs, warnings)
    return result


def _preview(project_root: Path, options: BuildOptions, context: BuildContext, folder: Path,
             timings: Timings, reload: bool = True) -> CheckResult:
    """The build `storygen serve` runs: check, then render its outputs into `folder`/<name>."""
    chosen = outputs.selected(options.only, live=True)
    result = check(project_root, options=options, timings=timings, context=context, only=chosen)
    raise_problems(result)
    notices = [f.format() for f in result.findings if f.action == "block"]
    if result.privacy is not None:
        notices += [f.format() for f in result.privacy.findings if f.action != "warn"]
    published = result.project.root / result.project.config.build.output
    folders = {name: published / name for name in outputs.names()}
    folders.update({output.name: folder / output.name for output in chosen})
    for output in chosen:
        folders[output.name].mkdir(parents=True, exist_ok=True)
        job = RenderJob(result.project, result.composites, folders[output.name], options, folders,
                        memory=context.memory_for(output), timings=timings,
                        live=LivePreview(notices=tuple(notices), reload=reload))
        with timings.phase(f"render.{output.name}"):
            result.rendered[output.name] = output.render(job)
    with timings.phase("scan"):
        # Not the whole output scan (its findings are the banner's notices): the private ids only.
        from .privacy.ids import scan_ids

        scan_ids([folders[o.name] for o in chosen], result.project, result.composites, context)
    result.notices = notices
    return result


def _scan(project: Project, composites: list[Composite], folders: list[Path], report,
          context: BuildContext) -> list[Finding]:
    """Every file about to be published: the output scan with the privacy guard on (findings);
    with it off, the private-id search alone (privacy.ids, the same search: raises RenderError)."""
    from . import privacy
    from .privacy.ids import scan_ids

    folders = [f for f in folders if f.is_dir()]
    if not project.config.privacy.enabled:
        scan_ids(folders, project, composites, context)
        return []
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

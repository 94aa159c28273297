"""The `storygen import …` and `storygen export refi` commands, minus option parsing.

cli.py parses options and calls `run_import` / `run_export_refi`; everything a
user sees about an import (summary, data-loss report, privacy findings) is
printed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from ..config import load_config
from ..errors import ImportError_
from .bundle import Bundle
from .writer import MergeReport, merge_bundle

FORMATS = ("csv", "taguette", "qualcoder", "refi")
SHOW = 12  # list at most this many items of each kind; the rest are counted


@dataclass
class ImportSummary:
    fmt: str
    file: Path
    dry_run: bool
    sources: int
    excerpts: int
    codes: int
    report: MergeReport
    losses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.report.files_written)


def read_bundle(fmt: str, file: Path, **options) -> Bundle:
    """Read a foreign export into a bundle (no project files are touched)."""
    if fmt == "csv":
        from .csvfile import import_csv
        return import_csv(file, **options)
    if fmt == "taguette":
        from .taguette import import_taguette
        return import_taguette(file, **options)
    if fmt == "qualcoder":
        from .qualcoder import import_qualcoder
        return import_qualcoder(file, **options)
    if fmt == "refi":
        from .refi import import_refi
        return import_refi(file, **options)
    raise ImportError_(f"unknown import format {fmt!r}", hint=f"formats: {', '.join(FORMATS)}")


def run_import(project_root: Path, fmt: str, file: Path, *, dry_run: bool = False,
               echo=click.echo, **options) -> ImportSummary:
    """Import `file` (in format `fmt`) into the project and print what happened.

    Options by format (unknown ones are ignored): csv — mapping ("text=Quote,…"),
    encoding, delimiter, sheet; taguette/qualcoder/refi — documents_map (Path of
    a YAML or CSV file mapping document names to source ids).
    Raises ImportError_ (exit 2) for a bad file; the project is then untouched.
    """
    project_root = Path(project_root)
    load_config(project_root)  # refuses a folder that is not a storygen project
    file = Path(file)
    if not file.exists():
        raise ImportError_("no such file or folder", path=file)
    bundle = read_bundle(fmt, file, **options)
    report = merge_bundle(project_root, bundle, dry_run=dry_run)
    summary = ImportSummary(fmt, file, dry_run, len(bundle.sources), len(bundle.excerpts),
                            len(bundle.codes), report, bundle.losses, bundle.notes)
    unstated = [sid for sid in report.sources_added
                if not {"composite", "web", "video"} <= set(bundle.sources[sid].consent)]
    no_report = [sid for sid in report.sources_added if "report" not in bundle.sources[sid].consent]
    unknown = [sid for sid in report.sources_added
               if not (bundle.sources[sid].role and bundle.sources[sid].sector)]
    if unstated:
        summary.notes.append(
            f"consent not stated in the export for {len(unstated)} new source(s) "
            f"({', '.join(unstated[:SHOW])}{', …' if len(unstated) > SHOW else ''}): what was not "
            "stated is `no` until you record it in narratives/sources.yaml")
    if no_report:
        summary.notes.append(
            f"consent for the report not stated for {len(no_report)} new source(s) "
            f"({', '.join(no_report[:SHOW])}{', …' if len(no_report) > SHOW else ''}): it follows their "
            "`web` consent until you record `report: yes` or `report: no` in narratives/sources.yaml")
    if unknown:
        summary.notes.append(
            f"role or sector not stated for {len(unknown)} new source(s) "
            f"({', '.join(unknown[:SHOW])}{', …' if len(unknown) > SHOW else ''}): they are "
            "`unknown` until you set them in narratives/sources.yaml")
    if not dry_run:
        summary.findings = privacy_findings(project_root, report.imported_ids, summary.notes)
    print_summary(summary, echo)
    return summary


def privacy_findings(project_root: Path, excerpt_ids: list[str], notes: list[str]) -> list:
    """Run the privacy guard on what was imported, if the guard and loader exist yet."""
    # PRIVACY GUARD CALL SITE: storygen.privacy.check_excerpts(excerpts, project) -> [Finding].
    try:
        from ..privacy import check_excerpts
        from ..project import load_project
    except ImportError:
        notes.append("privacy guard not available in this version: run `storygen check` "
                     "before publishing anything imported")
        return []
    from ..errors import StorygenError
    try:
        project = load_project(project_root)
    except StorygenError as exc:
        notes.append(f"the project does not load yet, so the privacy guard did not run: "
                     f"{exc.format_message()}")
        return []
    excerpts = [project.excerpts[i] for i in excerpt_ids if i in project.excerpts]
    from ..privacy import model_notice
    notice = model_notice(project)
    if notice:
        notes.append(notice)
    return list(check_excerpts(excerpts, project))


def _listing(title: str, items: list[str], echo) -> None:
    if not items:
        return
    echo(f"{title} ({len(items)}):")
    for item in items[:SHOW]:
        echo(f"  {item}")
    if len(items) > SHOW:
        echo(f"  … and {len(items) - SHOW} more")


def print_summary(s: ImportSummary, echo=click.echo) -> None:
    r = s.report
    verb = "would import" if s.dry_run else "imported"
    echo(f"{s.fmt}: {verb} {s.excerpts} excerpt(s) from {s.sources} source(s) "
         f"with {s.codes} code(s) from {s.file.name}")
    echo(f"  new: {len(r.excerpts_added)} excerpt(s), {len(r.sources_added)} source(s), "
         f"{len(r.codes_added)} code(s); updated: {len(r.excerpts_updated)}; "
         f"unchanged: {r.excerpts_unchanged}")
    _listing("codes added to the codebook", r.codes_added, echo)
    _listing("sources added", r.sources_added, echo)
    _listing("sources filled in where the project had nothing", r.sources_updated, echo)
    _listing("excerpts updated from the export", r.excerpts_updated, echo)
    _listing("local edits kept (the export differs)", r.kept_local, echo)
    if s.changed:
        _listing("files " + ("that would be written" if s.dry_run else "written"),
                 r.files_written, echo)
    else:
        echo("  no project file changed")
    _listing("data-loss report: not imported", s.losses, echo)
    if not s.losses:
        echo("data-loss report: nothing was left out")
    _listing("notes", s.notes, echo)
    if s.findings:
        from ..findings import lines

        shown = lines(s.findings)
        echo(f"privacy guard: {len(shown)} finding(s) in the imported excerpts:")
        for line in shown:
            echo(f"  {line}")


def run_export_refi(project_root: Path, out: Path, *, echo=click.echo) -> Path:
    """Write the project as a REFI-QDA .qdpx at `out` and print what it holds."""
    from .export_refi import export_refi
    load_config(Path(project_root))
    stats = export_refi(Path(project_root), Path(out))
    echo(f"exported {stats['codes']} code(s), {stats['sources']} source(s), "
         f"{stats['excerpts']} excerpt(s) and {stats['stories']} story set(s) to {out}")
    for note in stats.get("notes", []):
        echo(f"  note: {note}")
    return Path(out)

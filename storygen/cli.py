"""The `storygen` command. Each command parses its options and calls one function.

Exit codes: 0 ok · 1 check findings (the build refused to publish) · 2 bad input or usage ·
130 stopped by Ctrl+C, 143 by SIGTERM.
"""
from __future__ import annotations

from pathlib import Path

import click

from . import __version__, outputs
from .errors import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_SIGNAL_BASE, from_os_error
from .model import MEDIA

project_option = click.option(
    "--project", "project_root", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="The story project folder (the one holding storygen.toml).")


class OutputChoice(click.Choice):
    """The registered outputs (storygen/outputs.py), read when the command runs."""

    def __init__(self):
        super().__init__([])

    @property
    def choices(self):
        return outputs.names()

    @choices.setter
    def choices(self, value):
        pass


class _Commands(click.Group):
    """Every command: a file-system failure (full disk, no permission) is one clean message."""

    def invoke(self, ctx):
        restore = _stop_cleanly_on_sigterm()
        try:
            return super().invoke(ctx)
        except OSError as exc:
            raise from_os_error(exc) from None
        except KeyboardInterrupt as stop:
            # click would print "Aborted!" and exit 1, the code for findings
            import signal

            signum = getattr(stop, "signum", signal.SIGINT)
            click.echo(f"storygen: stopped ({signal.Signals(signum).name}) before finishing; files it was "
                       f"writing were removed and earlier output is as it was", err=True)
            raise click.exceptions.Exit(EXIT_SIGNAL_BASE + signum) from None
        finally:
            restore()


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl+C's KeyboardInterrupt would be, so the same clean-up runs."""

    def __init__(self, signum: int):
        super().__init__()
        self.signum = signum


def _stop_cleanly_on_sigterm():
    """SIGTERM (a service manager, `kill`, a CI timeout) stops a command like Ctrl+C does.

    Python's default ends the process on the spot, skipping every `finally`: a build left
    its staging folder and `serve` its temporary folder behind. As KeyboardInterrupt the
    clean-up runs, and the previous output stays as it was (publish holds both signals
    while it swaps folders). Returns what puts the previous handler back (for a caller
    that runs commands in its own process, such as the tests).
    """
    import signal
    import threading

    def interrupt(signum, frame):
        raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None
    signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="storygen")
def main():
    """Turn coded interview excerpts into composite stories: a website and short videos.

    \b
    Typical use, inside a project folder:
      storygen check          see what is wrong before anything is published
      storygen build          write the site and videos into build/
      storygen serve          preview the site in your browser as you edit
    Every command has --help. Exit codes: 0 ok, 1 findings, 2 bad input, 130 stopped.
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path):
    """Start a new, empty story project in DIRECTORY.

    Creates storygen.toml, narratives/ (codebook, sources, excerpts, stories,
    private), templates/ and assets/, each with comments explaining what goes there.
    """
    from .scaffold import create_project

    create_project(directory)
    click.echo(f"created a story project in {directory}/ — next: add interviews to "
               f"narratives/sources.yaml and excerpts to narratives/excerpts/")


@main.command("check")
@project_option
@click.option("--drafts", is_flag=True, help="Also check draft and reviewed stories, as if publishing them.")
@click.option("--story", "slugs", multiple=True, metavar="SLUG", help="Only report on this story (repeatable).")
@click.option("--privacy-report", "privacy_report", is_flag=False, flag_value="-", default=None,
              metavar="[FILE]", help="Print the privacy report per story, or write it as Markdown to FILE.")
@click.option("--all", "whole_pool", is_flag=True,
              help="Also run the privacy guard over every excerpt in the project, quoted in a story or not, "
                   "so the pool can be cleaned before drafting.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the findings as JSON, one object a line (file, line, excerpt, story, rule, action, "
                   "text, hint, message), for a spreadsheet or a script.")
def check_command(project_root: Path, drafts: bool, slugs: tuple[str, ...], privacy_report: str | None,
                  whole_pool: bool, as_json: bool):
    """Check every story that would be published, without writing anything.

    Runs the integrity rules (enough sources, nobody dominating, consent,
    reuse, theme support, review status), the privacy guard and every check a
    build makes before rendering (pictures, video theme, voice, length caps),
    and lists each problem with the file, line and fix. Exits 1 when a finding
    would stop a build (or, with --all, when an excerpt holds something the
    guard blocks or needs signed off), 2 when a file or setting needs fixing.
    """
    from .build import check, report
    from .outdir import output_file

    if privacy_report not in (None, "-"):
        privacy_report = output_file(project_root, Path(privacy_report), "--privacy-report")
    result = check(project_root, drafts=drafts, slugs=slugs)
    if slugs:
        result.findings = [f for f in result.findings if f.story in slugs]
    if whole_pool and result.project.config.privacy.enabled:
        from .privacy import check_excerpts

        result.pool = check_excerpts(list(result.project.excerpts.values()), result.project)
    if as_json:
        from .findings import as_json as finding_json, unique

        for finding in unique(result.all_findings):
            click.echo(finding_json(finding))
        if result.privacy is not None and result.privacy.notice:
            click.echo(f"note: {result.privacy.notice}", err=True)
    else:
        report(result)
    for problem in result.problems:           # what a build would stop on while rendering
        click.echo(f"error: {problem.format_message()}", err=True)
    if privacy_report is not None and result.privacy is not None:
        from .privacy import report_markdown

        text = report_markdown(result.privacy)
        if privacy_report == "-":
            click.echo(text)
        else:
            Path(privacy_report).write_text(text, encoding="utf-8")
            click.echo(f"privacy report written to {privacy_report}", err=True)
    if result.problems:
        raise SystemExit(EXIT_BAD_INPUT)
    if result.blocking:
        raise SystemExit(EXIT_FINDINGS)
    stories = len(result.composites)
    click.echo(f"ok: {stories} {'story' if stories == 1 else 'stories'} ready to publish", err=True)


@main.command()
@project_option
@click.option("--only", type=OutputChoice(), help="Build only this output: the videos, the site or the PDF report.")
@click.option("--story", "slugs", multiple=True, metavar="SLUG", help="Build only this story (repeatable); the report is then one PDF per story.")
@click.option("--drafts", is_flag=True, help="Publish draft stories too (marked DRAFT), for previews.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder instead of the project's build/.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["16:9", "9:16", "1:1", "4:5"]),
              help="Video format(s) to render, overriding the stories' own (repeatable).")
@click.option("--quality", type=click.Choice(["final", "draft"]),
              help="Video quality: draft is smaller and quicker, for previewing.")
@click.option("--burn-captions/--no-burn-captions", default=None, help="Burn captions into the video picture.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Render this many videos at once (one process each).")
@click.option("--with-provenance", is_flag=True,
              help="Also write the private review pack: each story in Word with a comment on every "
                   "excerpt naming its source and id, in build/private/review/ (never published).")
@click.option("--timings", is_flag=True, help="Print how long each phase took.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed since the last build.")
def build(project_root, only, slugs, drafts, out, formats, quality, burn_captions, jobs, with_provenance,
          timings, force):
    """Check everything, then write the site, the videos and the report into build/.

    Nothing is published unless every check passes, and a failed build leaves
    the previous build/ exactly as it was. When no input, option or tool changed
    since the last build and build/ is as that build left it, nothing is redone.
    """
    from .build import BuildOptions, Timings, UpToDate, build as run_build

    clock = Timings()
    options = BuildOptions(only=only, slugs=slugs, drafts=drafts, out=out, formats=formats, quality=quality,
                           burn_captions=burn_captions, jobs=jobs, with_provenance=with_provenance)
    result = run_build(project_root, options, timings=clock, reuse=not force)
    if timings:
        click.echo(clock.table(), err=True)
    if isinstance(result, UpToDate):
        for line in result.warnings:
            click.echo(line, err=True)
        click.echo(f"{out or result.out.name}/ is already up to date (nothing changed since the last build; "
                   f"--force rebuilds anyway)", err=True)
        return
    count = len(result.composites)
    click.echo(f"built {count} {'story' if count == 1 else 'stories'} into "
               f"{out or result.project.config.build.output}/", err=True)


@main.command("import")
@project_option
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["csv", "taguette", "qualcoder", "refi"]))
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--map", "mapping", metavar="FIELD=COLUMN,…",
              help="CSV/XLSX only: which columns hold the fields, e.g. text=Quote,codes=Themes.")
@click.option("--documents", "documents_map", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Taguette, QualCoder, REFI: a CSV (columns document,source_id) or YAML file mapping "
                   "document names to pseudonymous source ids; `-` skips a document.")
@click.option("--encoding", help="CSV only: the file's text encoding when it is not UTF-8, e.g. cp1252.")
@click.option("--sheet", help="XLSX only: the worksheet to read (default: the first).")
@click.option("--dry-run", is_flag=True, help="Show what would change without writing anything.")
def import_command(project_root, fmt, file, mapping, documents_map, encoding, sheet, dry_run):
    """Import coded excerpts from a spreadsheet or a qualitative-analysis tool.

    \b
    FORMAT is one of:
      csv        a spreadsheet (.csv or .xlsx) with excerpt_id, source_id, text, codes
      taguette   Taguette highlights/codebook export or project .sqlite3
      qualcoder  a QualCoder project (.qda folder or its database) or coding report
      refi       a REFI-QDA project (.qdpx) or codebook (.qdc) from NVivo, ATLAS.ti, MAXQDA…
    Re-importing the same file changes nothing; local edits (featured, singular,
    consent) are kept. New sources get no consent until you record it.
    """
    from .importers.commands import run_import

    run_import(project_root, fmt, file, mapping=mapping, documents_map=documents_map, encoding=encoding,
               sheet=sheet, dry_run=dry_run)


@main.group()
def export():
    """Export the project for researchers to audit in their own tools."""


@export.command("refi")
@project_option
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_refi(project_root, out):
    """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder…"""
    from .importers.commands import run_export_refi
    from .outdir import output_file

    run_export_refi(project_root, output_file(project_root, out, "the export file"))


@main.command()
@project_option
@click.option("--theme", required=True, metavar="CODE", help="The theme (code id) the story is about.")
@click.option("--role", help="Only voices of this role, e.g. staff or community.")
@click.option("--sector", help="Only interviews from this sector, e.g. housing.")
@click.option("--sub", "subs", multiple=True, metavar="CODE",
              help="Only excerpts coded with this sub-theme of the theme (repeatable).")
@click.option("--exclude", multiple=True, metavar="ID",
              help="Never use this excerpt (repeatable, or several ids separated by commas).")
@click.option("--media", multiple=True, type=click.Choice(list(MEDIA)),
              help="Where the story will be published (repeatable; default all three). Sets the consent "
                   "needed and the length aimed at.")
@click.option("--words", type=click.IntRange(1, 20000), metavar="N",
              help="About how long the finished story should be, quotes and bridge text together "
                   "(default 400 for a video, 750 for the site only).")
@click.option("--title", help="A working title (you can change it later).")
@click.option("--dry-run", is_flag=True, help="Show the plan and the rule figures; write nothing.")
def draft(project_root, theme, role, sector, subs, exclude, media, words, title, dry_run):
    """Start a new draft story from eligible excerpts on a theme.

    Chooses excerpts that pass every rule (enough interviews, nobody
    dominating, consent, nothing singular or used by another story), prefers
    featured ones, several sub-themes and excerpts of similar length, and
    writes narratives/stories/<slug>.md with status draft: a chapter per
    sub-theme, a persona, and room for your bridge text. If the data cannot
    make such a story, says which rule stops it and by how much.
    """
    from .compose.draft import write_draft
    from .compose.draft.report import plan_text, summary_line

    made = write_draft(project_root, theme=theme, role=role, sector=sector, subs=subs, exclude=exclude,
                       media=media, words=words, title=title, dry_run=dry_run)
    if dry_run:
        click.echo(plan_text(made))
    else:
        click.echo(summary_line(made))


@main.command()
@project_option
def stories(project_root):
    """List every story with its status, sources, words and spoken duration."""
    from .reports import stories_table

    click.echo(stories_table(project_root))


@main.command()
@project_option
def tags(project_root):
    """List the codebook's themes with how many excerpts and sources use each."""
    from .reports import tags_table

    click.echo(tags_table(project_root))


@main.command()
@project_option
@click.argument("slug")
def audit(project_root, slug):
    """Show, for reviewers only, which source each part of a story came from.

    This is the private provenance view: it prints to your terminal and is
    never written into the site or videos.
    """
    from .reports import audit_story

    click.echo(audit_story(project_root, slug))


@main.command()
@project_option
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--drafts/--no-drafts", default=True, show_default=True, help="Show draft stories (marked DRAFT).")
def serve(project_root, port, drafts):
    """Preview the site at http://127.0.0.1:PORT/, rebuilding as you edit.

    Only this computer can see it. The page reloads itself when a project file changes.
    """
    from .serve import serve as run_serve

    run_serve(project_root, port=port, drafts=drafts)


@main.command()
@project_option
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port on this computer (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the address but do not open a browser.")
def studio(project_root, port, no_browser):
    """Find excerpts, compose, check and approve stories in your browser.

    Prints an address like http://127.0.0.1:8765/library?token=… and opens it.
    Only this computer can reach the studio, and only through that address: the
    key in it is swapped for a cookie in your browser. It reads and writes the
    same files as the other commands, so git and `storygen check` keep working.
    Press Ctrl+C in the terminal to stop it.
    """
    from .studio.server import studio as run_studio

    run_studio(project_root, port=port, open_browser=not no_browser)

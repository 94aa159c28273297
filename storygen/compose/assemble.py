"""Turn a story definition into a Composite: ordered segments with provenance, and statistics.

The story body is Markdown with Jinja2. `excerpt("ID")` and `excerpts(...)`
do not insert excerpt text into the template output; they insert a private
marker that is swapped for an excerpt segment afterwards. Excerpt text therefore
never passes through the template engine and can never run as template code.
"""
from __future__ import annotations

import marshal
import re
import sys
from pathlib import Path

import jinja2
from jinja2.sandbox import SecurityError

from ..cache import cache_folder
from ..context import BuildContext
from ..errors import ProjectError, StorygenError
from ..sandbox import LimitExceeded, StorySandbox, plain
from ..model import (Composite, CompositeStats, Excerpt, Project, Segment, Story, count_words)
from ..project import did_you_mean
from .index import Allocation, SelectionIndex
from .memo import Trace, TraceStore, excerpt_digest

# A marker no author will type: private-use characters around an index.
MARK = re.compile("\ue000(\\d+)\ue001")
HEADING = re.compile(r"^(#{2,4})\s+(.+?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"""excerpt\(\s*["']([^"']+)["']""")
# Paragraphs are split at blank lines (the studio's segment view splits a body the same way).
BLOCK_BREAK = re.compile(r"\n\s*\n")


def story_environment(project: Project | None = None) -> StorySandbox:
    """Sandboxed and bounded (storygen.sandbox): story bodies are the team's text, but a
    template must never reach Python, the file system, or run without end.

    With a project, compiled bodies are kept in Jinja's own bytecode cache (keyed by the
    story and a checksum of its text), so a rebuild recompiles only the stories that changed.
    """
    env = StorySandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    if project is not None:
        folder = cache_folder(project.root, "templates")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Named apart from caches written before loops were bounded: that code must never run.
            env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder), "bounded-1-%s.cache")
        except OSError:         # a read-only project still builds, just without the cache
            pass
    return env


def _compile(env: StorySandbox, story: Story, path: Path):
    """Compile a story body, through the bytecode cache when there is one."""
    cache = env.bytecode_cache
    bucket = cache.get_bucket(env, story.slug, str(path), story.body) if cache else None
    if bucket is not None and bucket.code is not None:
        return bucket.code
    code = env.compile(story.body, name=story.slug, filename=str(path))
    if bucket is not None:
        bucket.code = code
        try:
            cache.set_bucket(bucket)
        except OSError:
            pass
    return code


def explicit_ids(story: Story) -> set[str]:
    """Ids a story names with excerpt("…"): other stories' queries leave these alone (C10)."""
    return set(EXPLICIT_ID.findall(story.body))


def _compile_body(item: tuple[str, str, str]) -> bytes | None:
    """Compile one story body in a worker; None leaves it (and its error) to compose()."""
    body, slug, filename = item
    try:
        return marshal.dumps(story_environment().compile(body, name=slug, filename=filename))
    except jinja2.TemplateError:
        return None


def _precompile(project: Project, stories: list[Story]) -> dict:
    """Each story body's compiled code: from the bytecode cache, or compiled over the CPUs.

    Jinja's compiler is pure Python (about 2 ms a story), so a cold build of a
    thousand stories spends most of its compose phase here.
    """
    from ..parallel import pmap

    env = story_environment(project)
    cache = env.bytecode_cache
    if cache is None:
        return {}
    codes, missing = {}, []
    for story in stories:
        bucket = cache.get_bucket(env, story.slug, str(story.origin.path), story.body)
        if bucket.code is not None:
            codes[story.slug] = bucket.code
        else:
            missing.append((story, bucket))
    items = [(story.body, story.slug, str(story.origin.path)) for story, _ in missing]
    for (story, bucket), data in zip(missing, pmap(_compile_body, items)):
        if data is None:
            continue
        bucket.code = codes[story.slug] = marshal.loads(data)
        try:
            cache.set_bucket(bucket)
        except OSError:
            pass
    return codes


def compose(project: Project, story: Story, *, allocation: Allocation | None = None, compiled=None,
            trace: Trace | None = None) -> Composite:
    """Render one story to a Composite. Raises ProjectError for problems in the story file.

    `allocation` answers the story's queries and says which excerpts other stories claimed
    (C10); without one, a query skips only what this story used already.
    `compiled` is the body's code when the caller has it already (see `_precompile`).
    `trace`, when given, is filled in with what the composite depended on (see memo.py)."""
    picked: list[tuple[Excerpt, int | None]] = []
    used: set[str] = set()
    calls: list[tuple] = []
    if allocation is None:
        allocation = Allocation(SelectionIndex(project), {})
    env = story_environment(project)
    path = story.origin.path

    def calling_line() -> int | None:
        # Find the template frame that called us, and map it back to the story file's line.
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename == str(path):
                return story.body_line + template.get_corresponding_lineno(frame.f_lineno) - 1
            frame = frame.f_back
        return None

    def mark(item: Excerpt) -> str:
        used.add(item.id)
        picked.append((item, calling_line()))
        return f"\n\n\ue000{len(picked) - 1}\ue001\n\n"

    def wrong(call: str, problem: str, example: str) -> ProjectError:
        return ProjectError(f"{call}: {problem}", path=path, line=calling_line(), hint=f"for example {example}")

    def excerpt(excerpt_id: str) -> str:
        if not isinstance(excerpt_id, str):
            raise wrong("excerpt(…)", f"the excerpt id must be text in quotes, not {excerpt_id!r}",
                        'excerpt("S01-03")')
        if excerpt_id not in project.excerpts:
            raise ProjectError(f"the story uses excerpt `{excerpt_id}`, which does not exist",
                               path=path, line=calling_line(),
                               hint=did_you_mean(excerpt_id, project.excerpts, "an excerpts file"))
        calls.append((("excerpt", excerpt_id), (excerpt_id,)))
        return mark(project.excerpts[excerpt_id])

    def excerpts(codes=(), role=None, sector=None, featured=None, count=None) -> str:
        example = 'excerpts(codes=["theme-id"], role="staff", count=2)'
        codes = (codes,) if isinstance(codes, str) else tuple(codes) if isinstance(codes, (list, tuple)) else None
        if codes is None or not all(isinstance(c, str) for c in codes):
            raise wrong("excerpts(…)", "`codes` must be a code id or a list of them, in quotes", example)
        for key, value in (("role", role), ("sector", sector)):
            if value is not None and not isinstance(value, str):
                raise wrong("excerpts(…)", f"`{key}` must be text in quotes, not {value!r}", example)
        if featured is not None and not isinstance(featured, bool):
            raise wrong("excerpts(…)", f"`featured` must be true or false, not {featured!r}", example)
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise wrong("excerpts(…)", f"`count` must be a whole number (0 or more), not {count!r}", example)
        for code in codes:
            if code not in project.codes:
                raise ProjectError(f"the story's query names unknown code `{code}`", path=path,
                                   line=calling_line(), hint=did_you_mean(code, project.codes, "the codebook"))
        found = allocation.query(story, codes=codes, role=role, sector=sector, featured=featured,
                                 count=count, used=used)
        calls.append((("excerpts", (("codes", codes), ("role", role), ("sector", sector), ("featured", featured),
                                    ("count", count))), tuple(e.id for e in found)))
        return "".join(mark(item) for item in found)

    try:
        # Compiled under the story's own file name, so template frames and tracebacks can be
        # mapped back to lines in the story file.
        code = compiled if compiled is not None else _compile(env, story, path)
        template = env.template_class.from_code(
            env, code, env.make_globals({"excerpt": excerpt, "excerpts": excerpts,
                                         "story": plain(story), "persona": plain(story.persona)}))
        rendered = template.render()
    except jinja2.TemplateAssertionError as exc:
        raise ProjectError(f"template error in the story body: {exc.message}", path=path,
                           line=story.body_line + (exc.lineno or 1) - 1) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ProjectError(f"template error in the story body: {exc.message}", path=path,
                           line=story.body_line + (exc.lineno or 1) - 1,
                           hint="check that every {{ … }} and {% … %} is closed and spelled right") from None
    except jinja2.UndefinedError as exc:
        raise ProjectError(f"the story body uses something undefined: {exc.message}", path=path,
                           line=_error_line(exc, story), hint="available: excerpt(\"ID\"), excerpts(codes=[…], "
                           "role=…, sector=…, featured=…, count=N), story, persona") from None
    except LimitExceeded as exc:
        raise ProjectError(f"story `{story.slug}` stopped: {exc.message}", path=path, line=_error_line(exc, story),
                           hint="a story body is text with excerpts; keep loops and repeats small") from None
    except SecurityError as exc:
        raise ProjectError(f"the story body tried something a story may not do: {exc.message}", path=path,
                           line=_error_line(exc, story), hint="story bodies can use excerpt(…), excerpts(…), "
                           "story and persona, and plain text, numbers and lists") from None
    except jinja2.TemplateError as exc:
        raise ProjectError(f"the story body could not be rendered: {exc}", path=path,
                           line=_error_line(exc, story)) from None
    except StorygenError:
        raise
    except RecursionError:
        raise ProjectError("the story body calls itself too deeply (a macro that never stops?)", path=path,
                           line=_error_line(sys.exc_info()[1], story)) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, MemoryError) as exc:
        raise ProjectError(f"the story body failed: {type(exc).__name__}: {exc}", path=path,
                           line=_error_line(exc, story), hint="check the expression on that line") from None
    segments = tuple(_segments(rendered, picked, project))
    if trace is not None:
        trace.calls, trace.rendered = tuple(calls), rendered
        trace.lines = tuple(line for _, line in picked)
        trace.digests = {item.id: excerpt_digest(item) for item, _ in picked}
    return Composite(story=story, segments=segments, stats=statistics(project, story, segments))


def _error_line(exc: Exception, story: Story) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(story.origin.path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return story.body_line + line - 1 if line else story.body_line


def _segments(rendered: str, picked, project: Project):
    for block in BLOCK_BREAK.split(rendered):
        block = block.strip()
        if not block:
            continue
        heading = HEADING.match(block) if "\n" not in block else None
        if heading:
            yield Segment(kind="heading", text=heading.group(2), level=len(heading.group(1)))
            continue
        position = 0
        for found in MARK.finditer(block):
            before = block[position:found.start()].strip()
            if before:
                yield Segment(kind="bridge", text=before)
            item, line = picked[int(found.group(1))]
            yield Segment(kind="excerpt", text=item.text, excerpt_id=item.id, source_id=item.source_id,
                          text_hash=item.text_hash, codes=item.codes, line=line)
            position = found.end()
        rest = block[position:].strip()
        if rest:
            yield Segment(kind="bridge", text=rest)


def statistics(project: Project, story: Story, segments) -> CompositeStats:
    source_words: dict[str, int] = {}
    bridge_words = 0
    for segment in segments:
        if segment.kind == "excerpt":
            source_words[segment.source_id] = source_words.get(segment.source_id, 0) + segment.words
        else:
            bridge_words += count_words(segment.text)
    quoted = sum(source_words.values())
    theme_sources = {}
    for theme in story.themes:
        backing = {s.source_id for s in segments if s.kind == "excerpt"
                   and any(project.codes[c].within(theme) for c in s.codes)}
        theme_sources[theme] = tuple(sorted(backing))
    total = quoted + bridge_words
    wpm = project.config.rules.words_per_minute
    return CompositeStats(sources=tuple(sorted(source_words)), source_words=dict(sorted(source_words.items())),
                          quoted_words=quoted, bridge_words=bridge_words, total_words=total,
                          theme_sources=theme_sources, duration_seconds=round(total / wpm * 60, 1))


def compose_all(project: Project, stories: list[Story], *, context: BuildContext | None = None) -> list[Composite]:
    """Compose several stories, sharing excerpts out so that queries never reuse one (C10).

    Approved stories are composed first, then the rest, each in slug order; a
    query skips excerpts that another story names explicitly or that an earlier
    story already took. Approved stories therefore come out the same whether or
    not drafts are being built alongside them.

    With a `context` (every build has one; `storygen serve` keeps it between rebuilds),
    a story is composed again only when replaying what it did last time (memo.py) shows
    that a call would now return something else or an excerpt it used has changed;
    otherwise its composite is reused, the same as composing it would make.
    """
    allocation = Allocation(SelectionIndex(project), {story.slug: explicit_ids(story) for story in project.stories})
    order = sorted(stories, key=lambda s: (not s.approved, s.slug))
    store = TraceStore(project, context)
    # Compile, over the CPUs, the bodies of stories whose last trace cannot hold (the rest are
    # compiled one by one if a replay fails).
    compiled = _precompile(project, [story for story in order
                                     if (t := store.get(story.slug)) is None or t.story != story])
    by_slug = {}
    for story in order:
        trace = store.get(story.slug)
        if trace is not None and trace.replay(story, project, allocation) is not None:
            composite = trace.composite or _rebuild(project, story, trace)
            trace.composite = composite
        else:
            trace = Trace(story)
            composite = compose(project, story, allocation=allocation, compiled=compiled.get(story.slug),
                                trace=trace)
            trace.composite = composite
            store.put(trace)
        allocation.commit(s.excerpt_id for s in composite.excerpt_segments)
        by_slug[story.slug] = composite
    store.save()
    return [by_slug[story.slug] for story in stories]


def _rebuild(project: Project, story: Story, trace: Trace) -> Composite:
    """The composite a replayed trace stands for, from the template's output and the current
    excerpts (the disk copy of a trace keeps no excerpt text)."""
    items = [project.excerpts[excerpt_id] for (_, ids) in trace.calls for excerpt_id in ids]
    segments = tuple(_segments(trace.rendered, list(zip(items, trace.lines)), project))
    return Composite(story=story, segments=segments, stats=statistics(project, story, segments))

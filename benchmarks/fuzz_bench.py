"""Fuzzing the project readers and story bodies (issue 16): no traceback, whatever a project holds.

    python benchmarks/fuzz_bench.py [--examples N] [--seed S] [--target NAME]…

Four targets, each fed N hypothesis-generated examples (default 10,000) through the real
readers on a copy of the sample project in a temporary folder:

  yaml         any text as a YAML project file (yamlfile.load_yaml, as every project file is read)
  toml         any text as storygen.toml (config.load_config)
  front-matter any text as a story's front matter, read as `storygen check` reads a story file
  story-body   any text as a story body, read and composed (compose.assemble.compose) in the sandbox

Examples are drawn from three kinds: raw text, text built from the format's own tokens
(anchors, aliases, brackets, tables, Jinja tags, dunder attributes, huge numbers, control
characters), and well-formed documents with random values. A clean error (StorygenError,
which the CLI prints as "file:line: problem / fix") is a pass; any other exception is a
failure, recorded with its example. The seed is printed, so a run can be repeated exactly.
Results go to benchmarks/fuzz_bench_results.txt (--results to change).

Not a test: it runs for minutes. tests/test_hostile_*.py hold the cases found here.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from storygen.compose.assemble import compose  # noqa: E402
from storygen.config import load_config  # noqa: E402
from storygen.errors import StorygenError  # noqa: E402
from storygen.project import load_project, read_story_file  # noqa: E402
from storygen.yamlfile import load_yaml  # noqa: E402

# --- what examples are made of -------------------------------------------------------------

WORDS = ["source", "excerpts", "id", "codes", "text", "S01", "S01-01", "S02-03", "yes", "no", "~",
         "null", "title", "persona", "name", "role", "themes", "status", "approved", "media", "images",
         "image", "alt", "voice", "first", "recalculating-risk", "/etc/passwd", "../../x", "é", "☃"]
YAML_TOKENS = WORDS + [
    "&a ", "*a", "&b ", "*b", "<<: *a\n", "[", "]", "{", "}", ": ", ":", "- ", "-", "\n", "  ", "    ",
    "\t", "#", "'", '"', "|", "|-", ">", "? ", ",", "!!python/object/apply:os.system ['id']", "!!str ",
    "!!binary ", "!custom ", "%YAML 1.1\n", "%TAG ! tag:x:\n", "---\n", "...\n", "0x1F", "1e999",
    "\x00", "\x07", "\ufeff", "\\", "\r\n", "\u2028", "`", "@", "%", "*",
]
TOML_TOKENS = [
    "[site]\n", "[video]\n", "[rules]\n", "[build]\n", "[privacy]\n", "[report]\n", "[[site]]\n",
    "[video.caps]\n", "title", "base_url", "language", "words_per_minute", "fps", "caps", "formats",
    "music", "voice", "voice_model", "output", "logo", "logo_alt", "size", "loudness", "min_sources",
    "max_source_share", "thresholds", "enabled", " = ", "=", '"', "'", "'''", '"""', "0", "-1", "1e400",
    "inf", "-inf", "nan", "99999999999999999999999", "0.0", "true", "false", "[", "]", "{", "}", ",",
    "\n", '"16:9"', '"9:16"', '"bogus"', '"/etc/passwd"', '"../x"', '"narratives"', '"."', '"/"',
    '"javascript:alert(1)"', '"https://example.org/"', '"\\u0000"', "1979-05-27", "#", ".", "\x00",
]
JINJA_TOKENS = [
    "{{ ", " }}", "{% ", " %}", "{#", "#}", "{%- ", " -%}", "excerpt(", "excerpts(", ")", "(", "'S01-01'",
    "'S06-02'", "'S99-99'", "codes=['recalculating-risk']", "role='staff'", "count=", "2", "-1", "0",
    "10**9", "9**9**9", "range(", "for x in ", "endfor", "if ", "else", "endif", "set y = ", "x", "y",
    "persona.name", "story.title", "__class__", "__globals__", "__init__", ".mro()", "__subclasses__()",
    "lipsum(", "cycler", "joiner", "namespace(", "|e", "|safe", "|length", "|join", "|attr('__class__')",
    "'a'*", "*", "+", "~", "include 'x'", "import 'x' as m", "extends 'x'", "macro m()", "endmacro",
    "m()", "call m()", "endcall", "raw", "endraw", "filter upper", "endfilter", "\n", "## ", "text ",
    ",", "[", "]", "{", "}", "loop.index", "loop.cycle", "None", "1/0", "//", "%", "'{0.__class__}'.format",
    ".format_map", "self", "caller", "recursive", "loop(x)", "'x'", '"', "'", "\x00", "é",
]


def joined(tokens):
    return st.lists(st.sampled_from(tokens), max_size=80).map("".join)


def _scalars():
    return st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(),
                     st.sampled_from(WORDS))


def yaml_documents():
    import yaml

    tree = st.recursive(_scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=10), inner,
                                                     max_size=5)), max_leaves=30)
    return tree.map(lambda value: yaml.safe_dump(value, allow_unicode=True))


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else
                                            "-inf" if value == float("-inf") else repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def toml_documents():
    from dataclasses import fields

    from storygen.config import Config

    tables = {f.name: [g.name for g in fields(f.default_factory())] for f in fields(Config)}
    value = st.recursive(_scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["16:9", "9:16", "x", "PHONE"]), inner,
                                                     max_size=3)), max_leaves=8)

    @st.composite
    def document(draw):
        lines = []
        for table in draw(st.lists(st.sampled_from(sorted(tables)), unique=True, max_size=4)):
            lines.append(f"[{table}]")
            for key in draw(st.lists(st.sampled_from(tables[table]), unique=True, max_size=5)):
                lines.append(f"{key} = {_toml_value(draw(value))}")
        return "\n".join(lines) + "\n"

    return document()


def front_matters():
    @st.composite
    def story_fields(draw):
        import yaml

        base = {"title": "A title", "summary": "A summary", "voice": "first", "themes": ["recalculating-risk"],
                "status": "draft", "media": ["site"],
                "persona": {"name": "Pell", "role": "support worker", "setting": "a service"}}
        for key in draw(st.lists(st.sampled_from(sorted(base) + ["reviewer", "reviewed_on", "images",
                                                                  "narration", "video_formats", "content_note",
                                                                  "mixed_roles", "unknown"]), max_size=4)):
            base[key] = draw(st.recursive(_scalars(), lambda inner: st.lists(inner, max_size=3)
                                          | st.dictionaries(st.sampled_from(WORDS), inner, max_size=3),
                                          max_leaves=6))
        return yaml.safe_dump(base, allow_unicode=True)

    return st.one_of(st.text(max_size=200), joined(YAML_TOKENS), story_fields())


def bodies():
    valid = st.lists(st.sampled_from([
        "{{ excerpt('S06-02') }}", "{{ excerpts(codes=['recalculating-risk'], count=2) }}", "Some text.",
        "{% for x in range(3) %}{{ x }}{% endfor %}", "## A heading", "{{ persona.name }}",
    ]), max_size=6).map("\n\n".join)
    return st.one_of(st.text(max_size=200), joined(JINJA_TOKENS), valid)


# --- running ------------------------------------------------------------------------------

FRONT = ("---\ntitle: Fuzz\nsummary: s\npersona:\n  name: Pell\n  role: support worker\n  setting: a service\n"
         "voice: first\nthemes: [recalculating-risk]\nstatus: draft\nmedia: [site]\n---\n")


class Target:
    """One reader under fuzzing: counts examples, keeps the first example of each failure."""

    def __init__(self, name: str, root: Path):
        self.name, self.root = name, root
        self.examples = 0
        self.clean_errors = 0
        self.failures: Counter = Counter()
        self.first: dict[str, tuple[str, str]] = {}

    def run(self, action, text: str) -> None:
        self.examples += 1
        try:
            action(text)
        except StorygenError:
            self.clean_errors += 1
        except Exception as exc:  # noqa: BLE001 (any other exception is what we are looking for)
            key = f"{type(exc).__name__}: {str(exc)[:80]}"
            self.failures[key] += 1
            self.first.setdefault(key, (text, traceback.format_exc(limit=-3)))


def targets(root: Path) -> dict:
    project = load_project(root)
    story_path = root / "narratives" / "stories" / "fuzz.md"
    config_path = root / "storygen.toml"
    config_text = config_path.read_text()
    yaml_path = root / "narratives" / "excerpts" / "fuzz.yaml"

    def yaml_action(text):
        load_yaml(yaml_path, text, shown=Path("narratives/excerpts/fuzz.yaml"))

    def toml_action(text):
        config_path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_config(root)
        finally:
            config_path.write_text(config_text)

    def front_action(text):
        story_path.write_text("---\n" + text + "\n---\nBody.\n", encoding="utf-8", errors="surrogatepass")
        read_story_file(root, story_path, project.codes)

    def body_action(text):
        story_path.write_text(FRONT + text, encoding="utf-8", errors="surrogatepass")
        story = read_story_file(root, story_path, project.codes)
        compose(project, story)

    return {
        "yaml": (yaml_action, st.one_of(st.text(max_size=300), joined(YAML_TOKENS), yaml_documents())),
        "toml": (toml_action, st.one_of(st.text(max_size=300), joined(TOML_TOKENS), toml_documents())),
        "front-matter": (front_action, front_matters()),
        "story-body": (body_action, bodies()),
    }


def fuzz(name: str, action, strategy, examples: int, run_seed: int, root: Path) -> Target:
    target = Target(name, root)

    @seed(run_seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(text):
        target.run(action, text)

    check()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="default: a random seed, printed")
    parser.add_argument("--target", action="append", choices=["yaml", "toml", "front-matter", "story-body"])
    parser.add_argument("--results", type=Path, default=HERE / "fuzz_bench_results.txt")
    args = parser.parse_args()
    run_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {run_seed}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="storygen-fuzz-"))
    lines = [f"# python benchmarks/fuzz_bench.py --examples {args.examples} --seed {run_seed}",
             f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}, "
             f"Python {sys.version.split()[0]}", ""]
    failed = 0
    try:
        root = work / "project"
        root.mkdir()
        for name in ("storygen.toml", "narratives", "assets"):
            source = REPO / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
        os.environ["STORYGEN_CACHE_DIR"] = str(work / "cache")
        chosen = targets(root)
        for name in args.target or list(chosen):
            action, strategy = chosen[name]
            start = time.perf_counter()
            result = fuzz(name, action, strategy, args.examples, run_seed, root)
            seconds = time.perf_counter() - start
            failures = sum(result.failures.values())
            failed += failures
            line = (f"{name:13} {result.examples:6} examples in {seconds:6.1f} s: "
                    f"{result.clean_errors} clean errors, {failures} tracebacks")
            print(line, flush=True)
            lines.append(line)
            for key, count in result.failures.most_common():
                text, trace = result.first[key]
                lines += [f"  {count} x {key}", f"    example: {text!r}"[:400],
                          *("    " + t for t in trace.strip().splitlines())]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines += ["", f"total tracebacks: {failed}"]
    args.results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"total tracebacks: {failed} (written to {args.results})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

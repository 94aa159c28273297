"""Hostile and careless templates (issue 16, items 4, 7 and 8): a project's site theme and
its story bodies are sandboxed and bounded. Building someone else's project never runs
their code, never reads files outside it, never hangs, and never shows a traceback."""
from __future__ import annotations

import time

import pytest
from hostilekit import Snapshot, add_to_story, built_template, cli, project, refused  # noqa: F401

from storygen import sandbox

STORY = "narratives/stories/time-to-listen.md"


# --- item 4: site theme templates cannot run code ----------------------------------------------

ESCAPES = [
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "{{ joiner.__init__.__globals__.os.system('touch PWNED') }}",
    "{{ namespace.__init__.__globals__['os'].system('touch PWNED') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "{{ range.__self__ }}",
    "{{ ('{0.__class__.__mro__}').format('x') }}",
    "{{ [].append(1) }}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_site_template_cannot_escape(project, payload):
    templates = project / "templates"
    templates.mkdir()
    (templates / "404.html").write_text('{% extends "!default/404.html" %}\n{% block content %}\n'
                                        f"<p>oops</p>\n{payload}\n{{% endblock %}}\n")
    snap = Snapshot(project)
    result = cli(project, "build", "--only", "site")
    refused(result, 2, "templates/404.html:4", "fix:")
    assert any(word in result.output for word in ("unsafe", "not safely callable", "has no attribute"))
    assert not (project / "PWNED").exists()
    assert snap.unchanged()


def test_site_template_cannot_open_files_through_values(project):
    """Attributes are readable only on plain values: nothing handed to a template is a way out."""
    templates = project / "templates"
    templates.mkdir()
    (templates / "base.html").write_text("{{ site.title.__class__ }}{{ page.__len__() }}\n")
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, "templates/base.html:1", "unsafe")
    assert snap.unchanged()


def test_site_template_lipsum_is_gone(project):
    templates = project / "templates"
    templates.mkdir()
    (templates / "404.html").write_text("{{ lipsum(n=100000) }}")
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, "templates/404.html:1", "'lipsum' is undefined")
    assert snap.unchanged()


def test_site_template_runtime_error_is_clean(project):
    templates = project / "templates"
    templates.mkdir()
    (templates / "about.html").write_text('{% extends "!default/about.html" %}\n'
                                          "{% block content %}{{ 1 // 0 }}{% endblock %}\n")
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, "templates/about.html:2", "ZeroDivisionError")
    assert snap.unchanged()


def test_template_symlink_out_of_project_refused(project, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text("TOP SECRET CONTENT")
    templates = project / "templates"
    templates.mkdir()
    (templates / "404.html").symlink_to(secret)
    snap = Snapshot(project)
    result = cli(project, "build", "--only", "site")
    refused(result, 2, "404.html", "outside the templates folder")
    assert "TOP SECRET" not in result.output
    assert snap.unchanged()


def test_preview_does_not_run_template_code(project):
    from storygen.serve import Preview

    templates = project / "templates"
    templates.mkdir()
    (templates / "404.html").write_text("{{ cycler.__init__.__globals__.os.system('touch PWNED') }}")
    messages = []
    preview = Preview(project, echo=lambda text, **_: messages.append(text))
    try:
        assert preview.rebuild() is False
    finally:
        preview.stop()
    assert not (project / "PWNED").exists()
    assert "404.html:1" in messages[-1] and "unsafe" in messages[-1]
    assert not preview.workdir.exists()


# --- story bodies: the sandbox holds, and nothing reaches a file ------------------------------

STORY_ESCAPES = [
    ("{{ story.origin.path.read_text() }}", "has no attribute 'path'"),
    ("{{ excerpt.__globals__ }}", "unsafe"),
    ("{{ cycler.__init__.__globals__.os.system('touch PWNED') }}", "unsafe"),
    ("{{ persona.__class__ }}", "unsafe"),
    ("{{ 'a'.format_map({}) }}", "unsafe"),
    ("{{ '{0.__class__}'.format(1) }}", "unsafe"),
    ("{{ ''.translate({97: 'x'}) }}", "unsafe"),
    ("{{ [1].append(2) }}", "unsafe"),
]


@pytest.mark.parametrize("payload, needle", STORY_ESCAPES)
def test_story_body_cannot_escape(project, payload, needle):
    line = add_to_story(project, payload)
    snap = Snapshot(project)
    result = cli(project, "check")
    refused(result, 2, f"{STORY}:{line}", needle)
    assert not (project / "PWNED").exists()
    assert snap.unchanged()


def test_story_sees_plain_story_fields(project):
    line = add_to_story(project, "Told by {{ persona.name }} in {{ story.title }} ({{ story.themes|join(', ') }}).")
    result = cli(project, "audit", "time-to-listen")
    assert result.exit_code == 0, result.output
    assert "Told by Robin in Time to listen (turning-off-targets, working-together)." in result.output
    assert line > 1


# --- item 7: bounded story bodies ---------------------------------------------------------

BOUNDED = [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "range() of 100,000 numbers is over the limit of 10,000"),
    ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
     "more than 100,000 loop turns"),
    ("{{ range(10**9) }}", "is too large"),
    ("{{ 'x' * 10**10 }}", "over the size limit"),
    ("{{ lipsum(n=100000) }}", "'lipsum' is undefined"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "joining with ~"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "over the size limit"),
    ("{% set ns = namespace(s='\\\\') %}{% for i in range(60) %}{% set ns.s = ns.s|tojson %}{% endfor %}",
     "tojson filter's result"),
    ("{% set n = namespace(v=2) %}{% for i in range(40) %}{% set n.v = n.v * n.v %}{% endfor %}",
     "bits is over the limit"),
    ("{{ 10 ** (10 ** 10) }}", "over the size limit for numbers"),
    ("{{ '%999999999s' % 'x' }}", "%-format width"),
    ("{{ '%999999999d'|format(1) }}", "%-format width"),
    ("{{ 'x'|center(10**9) }}", "center(…)"),
    ("{{ 'x'.ljust(10**9) }}", "too large"),
    ("{{ ('x' * 900000)|replace('x', 'yyyyy') }}", "replace(…)"),
    ("{{ (['x' * 900000] * 10)|join }}", "join(…)"),
    ("{{ ('a\\n' * 400000)|indent(100) }}", "indent(…)"),
    ("{{ [1]|batch(10**9, 'x')|list }}", "batch(…)"),
    ("{% for i in range(10000) %}{{ 'y' * 1000 }}{% endfor %}", "output is over the limit"),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
     "loop turns and calls"),
]


@pytest.mark.parametrize("payload, needle", BOUNDED)
def test_story_body_is_bounded(project, payload, needle):
    line = add_to_story(project, payload)
    snap = Snapshot(project)
    start = time.monotonic()
    result = cli(project, "build", "--only", "site")
    refused(result, 2, f"{STORY}:{line}", needle, "fix:")
    assert time.monotonic() - start < 30
    assert snap.unchanged()


def test_story_body_time_limit(project, monkeypatch):
    monkeypatch.setattr(sandbox, "LIMITS", sandbox.Limits(seconds=0.2, iterations=10**9))
    line = add_to_story(project, "{% for i in range(10000) %}{% for j in range(10000) %}"
                                 "{{ j|string|length }}{% endfor %}{% endfor %}")
    snap = Snapshot(project)
    result = cli(project, "check")
    refused(result, 2, f"{STORY}:{line}", "story `time-to-listen` stopped", "ran for more than 0.2 seconds")
    assert snap.unchanged()


def test_story_body_within_limits_is_fine(project):
    add_to_story(project, "{% for i in range(3) %}Step {{ loop.index }}. {% endfor %}"
                          "{{ ['a', 'b']|join('-') }} {{ 'x' * 5 }}")
    result = cli(project, "audit", "time-to-listen")
    assert result.exit_code == 0, result.output
    assert "Step 1. Step 2. Step 3. a-b xxxxx" in result.output


# --- item 8: mistakes in story bodies --------------------------------------------------------

MISTAKES = [
    ('{% include "other.md" %}', "story bodies cannot use {% include %}"),
    ('{% import "macros.html" as m %}', "story bodies cannot use {% import %}"),
    ('{% from "macros.html" import x %}', "story bodies cannot use {% from … import %}"),
    ('{% extends "base.html" %}', "story bodies cannot use {% extends %}"),
    ("{{ excerpt(1) }}", "the excerpt id must be text in quotes, not 1"),
    ("{{ excerpt(['S01-01']) }}", "the excerpt id must be text in quotes"),
    ("{{ excerpt() }}", "the story body failed: TypeError"),
    ("{{ excerpts(codes=5) }}", "`codes` must be a code id or a list of them"),
    ("{{ excerpts(codes=[1, 2]) }}", "`codes` must be a code id or a list of them"),
    ("{{ excerpts(codes='working-together', count='two') }}", "`count` must be a whole number"),
    ("{{ excerpts(codes='working-together', count=-1) }}", "`count` must be a whole number"),
    ("{{ excerpts(codes='working-together', role=3) }}", "`role` must be text in quotes"),
    ("{{ excerpts(codes='working-together', featured='yes') }}", "`featured` must be true or false"),
    ("{{ excerpts(nonsense=1) }}", "the story body failed: TypeError"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("{{ [1][5] }}", "undefined"),
    ("{{ '%d' % 'x' }}", "the story body failed: TypeError"),
    ("{{ 'a' - 1 }}", "TypeError"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "calls itself too deeply"),
    ("{{ x|nosuchfilter }}", "No filter named 'nosuchfilter'"),
    ("{% for %}", "template error in the story body"),
]


@pytest.mark.parametrize("payload, needle", MISTAKES)
def test_story_body_mistakes(project, payload, needle):
    line = add_to_story(project, payload)
    snap = Snapshot(project)
    result = cli(project, "build", "--only", "site")
    refused(result, 2, f"{STORY}:{line}", needle)
    assert snap.unchanged()

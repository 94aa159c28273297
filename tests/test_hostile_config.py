"""Hostile and careless settings in storygen.toml (issue 16, items 5 and 8): each is refused
by `check` and `build` with the file, the line and a fix, and nothing is written."""
from __future__ import annotations

import pytest
from hostilekit import Snapshot, built_template, cli, project, refused, set_option  # noqa: F401


def _refused_setting(project, table: str, line_text: str, *needles: str) -> None:
    line = set_option(project, table, line_text)
    snap = Snapshot(project)
    for command in (["check"], ["build", "--only", "site"]):
        refused(cli(project, *command), 2, f"storygen.toml:{line}", *needles, "fix:")
    assert snap.unchanged()


# --- item 5: base_url ------------------------------------------------------------------------

@pytest.mark.parametrize("url, problem", [
    ("javascript://%0aalert(document.domain)//", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"),
    ("data:text/html,<script>alert(1)</script>", "angle brackets"),
    ("ftp://example.org/", "only http:// and https://"),
    ("//example.org/", "only http:// and https://"),
    ("https://example.org/\" onmouseover=\"alert(1)", "quotes"),
    ("https://user:secret@example.org/", "user name or password"),
    ("https:///stories/", "no host name"),
    ("https://example.org/?utm=1", "?query or #fragment"),
    ("https://example.org:99999/", "not a well-formed web address"),
    ("https://exa mple.org/", "spaces"),
])
def test_base_url_must_be_http(project, url, problem):
    toml_value = url.replace("\\", "\\\\").replace('"', '\\"')
    text = (project / "storygen.toml").read_text().replace(
        'base_url = "https://example.org/stories/"', f'base_url = "{toml_value}"')
    (project / "storygen.toml").write_text(text)
    snap = Snapshot(project)
    for command in (["check"], ["build", "--only", "site"]):
        refused(cli(project, *command), 2, "storygen.toml:3", "`site.base_url`", problem, "https://")
    assert snap.unchanged()


def test_base_url_http_is_accepted_and_gets_a_slash(project):
    text = (project / "storygen.toml").read_text().replace("https://example.org/stories/",
                                                           "http://example.org/stories")
    (project / "storygen.toml").write_text(text)
    result = cli(project, "build", "--only", "site")
    assert result.exit_code == 0, result.output
    page = (project / "build/site/stories/time-to-listen/index.html").read_text()
    assert 'href="http://example.org/stories/stories/time-to-listen/"' in page


# --- item 8: numbers and lists that were accepted, then crashed -----------------------------

@pytest.mark.parametrize("table, setting, needle", [
    ("rules", "words_per_minute = 0", "`rules.words_per_minute` must be between"),
    ("rules", "words_per_minute = -150", "`rules.words_per_minute` must be between"),
    ("video", "words_per_minute = 0", "`video.words_per_minute` must be between"),
    ("video", 'caps = { "9:16" = "abc" }', "`video.caps` gives '9:16' a length of 'abc'"),
    ("video", 'caps = { "3:2" = 60 }', "`video.caps` names '3:2'"),
    ("video", 'formats = ["bogus"]', "`video.formats` lists 'bogus'"),
    ("video", "formats = []", "`video.formats` is empty"),
    ("video", "formats = [1]", "`video.formats` lists 1"),
    ("video", "fps = 0", "`video.fps` must be between"),
    ("video", "fps = 100000", "`video.fps` must be between"),
    ("video", "min_slide_seconds = -1.0", "`video.min_slide_seconds` must be between"),
    ("video", "max_slide_seconds = 1.0", "`video.max_slide_seconds` must be between"),
    ("video", "loudness = 20.0", "`video.loudness` must be between"),
    ("video", "size = 100000", "`video.size` must be 0"),
    ("video", "max_upscale = 0.0", "`video.max_upscale` must be between"),
    ("video", 'voice = "shout"', "`video.voice` must be one of none, recorded, espeak, piper"),
    ("rules", "min_sources = 1", "`rules.min_sources` below 2"),
    ("rules", "max_source_share = 1.5", "`rules.max_source_share` must be a share"),
    ("rules", "min_theme_sources = 0", "`rules.min_theme_sources` must be between"),
    ("privacy", "context_window = -5", "`privacy.context_window` must be between"),
    ("privacy", "allowed_domains = [1, 2]", "`privacy.allowed_domains` must be a list of texts"),
    ("privacy", "thresholds = { PHONE = true }", "`privacy.thresholds` `PHONE` must be a score"),
    ("site", 'language = "en GB\\"><script>"', "`site.language` is"),
    ("build", 'output = ""', "`build.output` is ''"),
    ("build", 'output = "bad\\u0000name"', "`build.output` is"),
])
def test_impossible_settings_refused(project, table, setting, needle):
    _refused_setting(project, table, setting, needle)


@pytest.mark.parametrize("table, setting, needle", [
    ("video", "fsp = 30", "unknown setting `video.fsp`"),
    ("video", 'fps = "thirty"', "`video.fps` should be int"),
    ("site", "author = 5", "`site.author` should be str"),
])
def test_type_and_spelling_errors_name_their_line(project, table, setting, needle):
    _refused_setting(project, table, setting, needle)


def test_toml_syntax_error_names_line(project):
    (project / "storygen.toml").write_text('[site]\ntitle = "unclosed\n')
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, "storygen.toml:2", "not valid TOML")
    assert snap.unchanged()


def test_settings_not_utf8(project):
    (project / "storygen.toml").write_bytes('[site]\ntitle = "Caf\xe9"\n'.encode("latin-1"))
    snap = Snapshot(project)
    refused(cli(project, "check"), 2, "storygen.toml", "not UTF-8")
    assert snap.unchanged()

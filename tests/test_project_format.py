"""Reading projects: every bad input gives one clear message with file, line and a fix (exit 2)."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from projectkit import STORY, edit
from storygen.cli import main
from storygen.errors import ProjectError
from storygen.project import load_project


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def check(root: Path):
    return run("check", "--project", root)


def test_sample_like_project_loads_with_lines(project):
    loaded = load_project(project)
    assert len(loaded.sources) == 7 and len(loaded.excerpts) == 21
    excerpt = loaded.excerpts["S02-03"]
    assert excerpt.origin.path.as_posix() == "narratives/excerpts/S02.yaml"
    assert excerpt.origin.line == 13  # the `- id:` line of the third excerpt
    assert loaded.codes["working-together/shared-records"].colour == "#1f6f8b"  # inherited
    assert [c.id for c in loaded.codes.values()][:2] == ["turning-off-targets", "turning-off-targets/time-to-listen"]


def test_yaml_values_stay_as_typed(project):
    """`no`, `010` and `1.10` are text: YAML's implicit typing must not rewrite ids."""
    path = project / "narratives" / "excerpts" / "S01.yaml"
    edit(path, "id: S01-01", "id: 010")
    edit(project / "narratives" / "stories" / "time-to-listen.md", 'excerpt("S01-01")', 'excerpt("010")')
    assert "010" in load_project(project).excerpts


@pytest.mark.parametrize("old,new,line,fragment", [
    ("codes: [working-together]", "codes: [working-togther]", 9, "did you mean `working-together`"),
    ("codes: [working-together]", "codes: [shared-records]", 9, "did you mean `working-together/shared-records`"),
])
def test_unknown_code_did_you_mean(project, old, new, line, fragment):
    edit(project / "narratives" / "excerpts" / "S03.yaml", old, new)
    result = check(project)
    assert result.exit_code == 2
    assert f"narratives/excerpts/S03.yaml:{line}:" in result.output
    assert fragment in result.output


def test_duplicate_excerpt_id_names_both_places(project):
    edit(project / "narratives" / "excerpts" / "S02.yaml", "id: S02-03", "id: S01-02")
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    message = str(caught.value)
    assert "narratives/excerpts/S02.yaml:13" in message and "narratives/excerpts/S01.yaml:8" in message


def test_duplicate_source_key(project):
    path = project / "narratives" / "sources.yaml"
    path.write_text(path.read_text() + "S01: {role: staff, sector: health}\n")
    result = check(project)
    assert result.exit_code == 2 and "sources.yaml:8" in result.output and "appears twice" in result.output


def test_excerpt_with_unknown_source(project):
    edit(project / "narratives" / "excerpts" / "S01.yaml", "source: S01", "source: S1")
    result = check(project)
    assert result.exit_code == 2 and "did you mean `S01`" in result.output


def test_unclosed_front_matter(project):
    path = project / "narratives" / "stories" / "time-to-listen.md"
    path.write_text(STORY.replace("media: [site, video]\n---", "media: [site, video]", 1))
    result = check(project)
    assert result.exit_code == 2 and "time-to-listen.md:1" in result.output and "never closed" in result.output


def test_yaml_syntax_error_in_front_matter_points_at_the_line(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "voice: first", "voice: [first")
    result = check(project)
    assert result.exit_code == 2 and "time-to-listen.md:" in result.output and "YAML syntax error" in result.output


def test_unknown_front_matter_field(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "voice: first", "voise: first")
    result = check(project)
    assert result.exit_code == 2 and "time-to-listen.md:8" in result.output and "did you mean `voice`" in result.output


def test_story_uses_missing_excerpt_names_the_line(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", 'excerpt("S03-01")', 'excerpt("S03-09")')
    result = check(project)
    assert result.exit_code == 2
    assert "time-to-listen.md:25:" in result.output and "S03-09" in result.output


def test_undefined_template_variable(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "for years.", "for {{ yeras }} years.")
    result = check(project)
    assert result.exit_code == 2 and "undefined" in result.output and "time-to-listen.md:17" in result.output


def test_jinja_syntax_error(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", '{{ excerpt("S02-01") }}', '{{ excerpt("S02-01") }')
    result = check(project)
    assert result.exit_code == 2 and "template error" in result.output and "time-to-listen.md:" in result.output


def test_template_cannot_reach_python(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "for years.",
         "{{ excerpt.__globals__ }}")
    result = check(project)
    assert result.exit_code == 2


def test_non_utf8_file(project):
    path = project / "narratives" / "excerpts" / "S02.yaml"
    path.write_bytes(path.read_bytes().replace(b"source: S02\n", b"source: S02\n# caf\xe9\n"))
    result = check(project)
    assert result.exit_code == 2 and "S02.yaml:2" in result.output and "UTF-8" in result.output


def test_bad_flag_value(project):
    edit(project / "narratives" / "excerpts" / "S01.yaml", "    codes: [working-together]",
         "    featured: maybe\n    codes: [working-together]")
    result = check(project)
    assert result.exit_code == 2 and "should be yes or no" in result.output


def test_config_typo(project):
    (project / "storygen.toml").write_text("[site]\ntitel = 'x'\n")
    result = check(project)
    assert result.exit_code == 2 and "did you mean `site.title`" in result.output


def test_config_syntax_error(project):
    (project / "storygen.toml").write_text("[site]\ntitle = 'x\nbase_url = 'y'\n")
    result = check(project)
    assert result.exit_code == 2 and "storygen.toml:2" in result.output


def test_image_path_must_stay_in_assets(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "media: [site, video]",
         "media: [site, video]\nimages:\n  - image: ../../etc/passwd\n    alt: x")
    result = check(project)
    assert result.exit_code == 2 and "outside the project's assets/" in result.output


def test_image_needs_alt_text(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "media: [site, video]",
         "media: [site, video]\nimages:\n  - image: a.jpg")
    result = check(project)
    assert result.exit_code == 2 and "no alt text" in result.output and "decorative: yes" in result.output


def test_not_a_project(tmp_path):
    result = check(tmp_path)
    assert result.exit_code == 2 and "storygen init" in result.output

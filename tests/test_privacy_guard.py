"""The guard over whole composites: every rule seeded with a violation and seen refused,
private knowledge, sign-offs (and that they cannot be forged), report and audit."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from privacy_fixtures import CLEAN, make_project

from storygen.errors import ProjectError
from storygen.model import Picture
from storygen.privacy import check_excerpts, guard_project, report_markdown, write_audit

REPO = Path(__file__).resolve().parents[1]

PSEUDONYMS = """\
people:
  - real: Margaret Holloway
    also: [Maggie, Mrs Holloway]
    pseudonym: Jean
    sources: [S01, S03]
places:
  - real: Brierley Ward
    pseudonym: "[a hospital ward]"
    sources: [S02]
organisations:
  - real: Oakfield Housing
    pseudonym: "[a housing association]"
"""
DENY = """\
- Thornbury Estate
- term: Kestrel Project
  note: the drop-in S04 runs
"""


def rules(report, action=None):
    return sorted({f.rule for f in report.findings if action is None or f.action == action})


def seeded(tmp_path, text, **kw):
    project, composites = make_project(tmp_path, excerpts=CLEAN[:3] + [text], **kw)
    return guard_project(project, composites)


def test_clean_project_passes(tmp_path):
    project, composites = make_project(tmp_path)
    report = guard_project(project, composites)
    assert report.findings == []
    assert report.verdicts == {"time-to-listen": "pass"}
    assert not report.blocking


@pytest.mark.parametrize("rule,text", [
    ("R1", "You can ring me on 07700 900123 if you want."),
    ("R1", "Write to jo.bloggs@example.com and she'll reply."),
    ("R1", "She lives round LS6 2AB."),
    ("R1", "His NHS number 999 000 0018 was on every letter."),
    ("R1", "My NI number is AB 12 34 56 C, and they lost it."),
    ("R1", "It's all on https://www.facebook.com/some.group.page now."),
    ("R2", "Then Priya Sharma from the office rang me."),
    ("R3", "My name is Xanthe-Rae and I work nights."),
    ("R8", "She was born on 3rd March 1984 in the old hospital."),
])
def test_blocking_rules_refuse(tmp_path, rule, text):
    report = seeded(tmp_path, text)
    assert rule in rules(report, "block")
    assert report.blocking
    assert report.verdicts["time-to-listen"] == "blocked"
    finding = next(f for f in report.findings if f.rule == rule)
    # Excerpt findings point at the excerpt's own line in its YAML file.
    assert str(finding.origin) == "narratives/excerpts/all.yaml:14"


@pytest.mark.parametrize("rule,text", [
    ("R6", "We moved to Hartlepool when the job came up."),
    ("R7", "I worked for Oakwood Housing Association for ten years."),
    ("R10", "I was the only Somali support worker at Leeds City Council."),
    ("R12", "After the fire it was in the paper for weeks."),
    ("R9", "My nan is ninety-three years old and still does her own shopping."),
])
def test_signoff_rules_stop_until_signed(tmp_path, rule, text):
    report = seeded(tmp_path, text)
    assert rule in rules(report, "signoff")
    assert report.blocking
    assert report.verdicts["time-to-listen"] in ("needs sign-off", "blocked")


def test_r11_three_quasi_identifier_types_in_one_composite(tmp_path):
    project, composites = make_project(tmp_path, excerpts=[
        "I'm in my forties, a single mum with three kids.",
        "I've got diabetes and it's got worse.",
        "I worked for Oakwood Housing Association for years.",
        CLEAN[0]])
    report = guard_project(project, composites)
    r11 = [f for f in report.findings if f.rule == "R11"]
    assert r11 and r11[0].action == "signoff"
    assert {"age", "family", "health", "organisation"} <= set(r11[0].span.split(", "))


def test_r15_special_category_with_a_place(tmp_path):
    report = seeded(tmp_path, "Being a refugee in Hartlepool was hard at first.")
    assert "R15" in rules(report, "signoff")
    report2 = seeded(tmp_path / "b", "Being a refugee was hard at first.")
    assert "R15" not in rules(report2)


def test_r8_other_dates_and_r9_exact_ages_warn(tmp_path):
    report = seeded(tmp_path, "We met on 12/05/2019 and I was 47 when it happened.")
    assert rules(report, "warn") == ["R8", "R9"]
    assert not report.blocking
    assert report.verdicts["time-to-listen"] == "pass with warnings"


def test_r14_long_quote_and_reuse_warn(tmp_path):
    long = " ".join(["We talked and talked about what mattered most to her."] * 10)
    report = seeded(tmp_path, long)
    assert "R14" in rules(report, "warn")


def test_r4_pseudonym_map_consistency(tmp_path):
    extra = ("  - real: Margaret Holloway\n    pseudonym: Susan\n"      # one person, two pseudonyms
             "  - real: Kevin Ashworth\n    pseudonym: Jean\n"          # two people, one pseudonym
             "  - real: Dennis Pike\n    pseudonym: Maggie\n")          # a pseudonym that is a real name
    project, composites = make_project(tmp_path, private={
        "pseudonyms.yaml": PSEUDONYMS.replace("people:\n", "people:\n" + extra)})
    report = guard_project(project, composites)
    messages = [f.message for f in report.findings if f.rule == "R4"]
    assert any("two pseudonyms" in m for m in messages)
    assert any("share this pseudonym" in m for m in messages)
    assert any("also a real name" in m for m in messages)
    assert report.blocking


def test_r4_clean_map_has_no_findings(tmp_path):
    project, composites = make_project(tmp_path, private={"pseudonyms.yaml": PSEUDONYMS})
    assert guard_project(project, composites).findings == []


def test_r5_real_values_and_deny_list_block_in_every_field(tmp_path):
    private = {"pseudonyms.yaml": PSEUDONYMS, "deny.yaml": DENY}
    pic = Picture(image="photos/thornbury-estate.jpg", alt="The view from Brierley Ward at night.",
                  caption="Kestrel Project volunteers", credit="Photo: Oakfield Housing")
    project, composites = make_project(
        tmp_path, private=private, excerpts=CLEAN[:3] + ["Maggie was kind to me."],
        title="Margaret Holloway's story", summary="Life on the Thornbury Estate.",
        bridge="Sam remembers Mrs Holloway.", images=(pic,))
    report = guard_project(project, composites)
    r5 = [(f.field, f.span) for f in report.findings if f.rule == "R5"]
    assert ("excerpt", "Maggie") in r5
    assert ("title", "Margaret Holloway") in r5
    assert ("summary", "Thornbury Estate") in r5
    assert ("bridge", "Mrs Holloway") in r5
    assert ("alt text", "Brierley Ward") in r5
    assert ("caption", "Kestrel Project") in r5
    assert ("credit", "Oakfield Housing") in r5
    assert ("image file name", "Thornbury Estate") in r5
    hint = next(f.hint for f in report.findings if f.rule == "R5" and f.span == "Maggie")
    assert "Jean" in hint          # the map tells the author which pseudonym to use
    assert report.blocking


def test_pseudonym_is_accepted_and_persona_name_is_allowed(tmp_path):
    project, composites = make_project(tmp_path, private={"pseudonyms.yaml": PSEUDONYMS},
                                       excerpts=CLEAN[:3] + ["Jean was kind to me."], persona="Priya",
                                       bridge="Priya has worked on the front desk for years.")
    report = guard_project(project, composites)
    assert report.findings == []


def test_persona_name_equal_to_a_real_name_blocks(tmp_path):
    project, composites = make_project(tmp_path, private={"pseudonyms.yaml": PSEUDONYMS}, persona="Maggie",
                                       bridge="She has worked on the front desk for years.")
    report = guard_project(project, composites)
    assert ("R4", "Maggie") in [(f.rule, f.span) for f in report.findings]
    assert report.blocking


def test_identifiers_in_titles_slugs_alt_text_and_file_names(tmp_path):
    pic = Picture(image="photos/07700900123.jpg", alt="Call Priya on 07700 900456",
                  caption="Outside 12 Acacia Avenue")
    project, composites = make_project(tmp_path, title="Email jo@example.com", summary="Ring 0113 496 0123",
                                       slug="sarah-hollowell-story", images=(pic,))
    report = guard_project(project, composites)
    got = {(f.field, f.rule) for f in report.findings}
    assert {("title", "R1"), ("summary", "R1"), ("alt text", "R1"), ("alt text", "R2"),
            ("caption", "R6"), ("slug", "R2"), ("image file name", "R1")} <= got


SIGNOFF_TEXT = "We moved to Hartlepool when the job came up."


def _signoff(key: str) -> str:
    return (f"- key: {key}\n  rule: R6\n  story: time-to-listen\n  span: Hartlepool\n"
            f"  reviewer: Privacy panel (A. Reviewer)\n  date: 2026-11-20\n"
            f"  reason: A town of 90,000; nothing else in the story narrows it down.\n")


def test_signoff_resolves_the_finding(tmp_path):
    report = seeded(tmp_path, SIGNOFF_TEXT)
    key = next(f.key for f in report.findings if f.rule == "R6")
    report = seeded(tmp_path, SIGNOFF_TEXT, private={"signoffs.yaml": _signoff(key)})
    r6 = next(f for f in report.findings if f.rule == "R6")
    assert r6.signoff is not None and r6.signoff.reviewer.startswith("Privacy panel")
    assert not report.blocking
    assert "signed off by Privacy panel" in r6.format()


def test_signoff_cannot_be_forged_by_editing_the_text(tmp_path):
    report = seeded(tmp_path, SIGNOFF_TEXT)
    key = next(f.key for f in report.findings if f.rule == "R6")
    # The text is edited after the review: a phone number is slipped into the same excerpt.
    edited = SIGNOFF_TEXT.replace("came up.", "came up, ring 07700 900123.")
    report = seeded(tmp_path, edited, private={"signoffs.yaml": _signoff(key)})
    r6 = next(f for f in report.findings if f.rule == "R6")
    assert r6.signoff is None                 # the old decision does not carry over
    assert report.blocking
    assert [s.key for s in report.stale_signoffs] == [key]
    assert any(f.rule == "R17" and f.action == "warn" for f in report.findings)


def test_signoff_of_a_real_name_from_the_map_is_ignored(tmp_path):
    project, composites = make_project(tmp_path, private={"pseudonyms.yaml": PSEUDONYMS},
                                       excerpts=CLEAN[:3] + ["Maggie was kind to me."])
    key = next(f.key for f in guard_project(project, composites).findings if f.rule == "R5")
    project, composites = make_project(tmp_path, private={"pseudonyms.yaml": PSEUDONYMS,
                                                          "signoffs.yaml": _signoff(key)},
                                       excerpts=CLEAN[:3] + ["Maggie was kind to me."])
    report = guard_project(project, composites)
    assert report.blocking


@pytest.mark.parametrize("name,content,line,words", [
    ("signoffs.yaml", "- key: 0123456789abcdef\n  reviewer: A\n  reason: fine\n", 1, "date"),
    ("signoffs.yaml", "- key: 0123456789abcdef\n  reviewer: A\n  date: 20/11/2026\n  reason: ok\n", 1, "YYYY-MM-DD"),
    ("signoffs.yaml", "- key: nothex\n  reviewer: A\n  date: 2026-11-20\n  reason: ok\n", 1, "16 hex"),
    ("pseudonyms.yaml", "people:\n  - real: A Person\n", 2, "pseudonym"),
    ("pseudonyms.yaml", "people:\n  - real: A Person\n    pseudonm: B\n", 2, "pseudonm"),
    ("pseudonyms.yaml", "people:\n  - real: [unclosed\n", 3, "YAML"),
    ("deny.yaml", "- x\n", 1, "too short"),
])
def test_bad_private_files_name_file_and_line(tmp_path, name, content, line, words):
    project, composites = make_project(tmp_path, private={name: content})
    with pytest.raises(ProjectError) as err:
        guard_project(project, composites)
    assert err.value.path == Path("narratives/private") / name
    assert err.value.line == line
    assert words in str(err.value.format_message())


def test_check_excerpts_reports_at_the_excerpt(tmp_path):
    project, _ = make_project(tmp_path, excerpts=CLEAN[:3] + ["Ring 07700 900123."])
    findings = check_excerpts(project.excerpts.values(), project)
    assert [(f.rule, f.span, str(f.origin)) for f in findings] == \
        [("R1", "07700 900123", "narratives/excerpts/all.yaml:14")]


def test_report_and_audit(tmp_path):
    report = seeded(tmp_path, SIGNOFF_TEXT + " Ring 07700 900123.")
    md = report_markdown(report)
    assert "## Story `time-to-listen` — blocked" in md
    assert "| BLOCK | R1 |" in md and "| SIGNOFF | R6 |" in md
    assert "- key: " in md and "reviewer:" in md
    audit = tmp_path / "build" / "private" / "audit.json"
    write_audit(audit, report, [])
    first = audit.read_bytes()
    write_audit(audit, seeded(tmp_path, SIGNOFF_TEXT + " Ring 07700 900123."), [])
    assert audit.read_bytes() == first                   # deterministic
    data = json.loads(first)
    assert data["blocking"] is True
    assert data["settings"]["presidio"]["nlp_engine"] == "no_op"
    assert {f["rule"] for f in data["findings"]} >= {"R1", "R6"}


def test_sample_project_passes_and_a_planted_phone_is_refused(tmp_path):
    """End to end through the CLI: the sample passes; a phone number planted in an excerpt
    that an approved story quotes makes `storygen check` exit 1."""
    if not (REPO / "narratives" / "stories" / "asked-what-mattered.md").is_file():
        pytest.skip("no sample project in this checkout")
    project = tmp_path / "sample"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".git", "build", "tests", "benchmarks",
                                                                 "__pycache__", "*.egg-info"))
    run = [sys.executable, "-m", "storygen", "check", "--project", str(project)]
    ok = subprocess.run(run, capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0, ok.stderr
    story = (project / "narratives" / "stories" / "asked-what-mattered.md").read_text(encoding="utf-8")
    assert '{{ excerpt("S08-01") }}' in story
    target = project / "narratives" / "excerpts" / "S08.yaml"
    text = target.read_text(encoding="utf-8")
    anchor = text.index("- id: S08-01")
    marker = text.index("text: |\n", anchor) + len("text: |\n")
    target.write_text(text[:marker] + "      Ring me on 07700 900123.\n" + text[marker:], encoding="utf-8")
    bad = subprocess.run(run, capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 1, bad.stderr
    assert "R1 BLOCK" in bad.stderr and "07700 900123" in bad.stderr
    assert "narratives/excerpts/S08.yaml:" in bad.stderr


def test_every_privacy_setting_is_documented():
    from dataclasses import fields

    from storygen.config import PrivacyConfig

    doc = (REPO / "docs" / "privacy.md").read_text(encoding="utf-8")
    missing = [f.name for f in fields(PrivacyConfig) if f"{f.name} =" not in doc and f"[privacy.{f.name}]" not in doc]
    assert missing == []


def test_privacy_settings_change_what_runs(tmp_path):
    from storygen.config import Config

    config = Config()
    config.privacy.allow_values = ["07700 900123"]
    config.privacy.names = False
    report = seeded(tmp_path, "Ring Sarah Holloway on 07700 900123.", config=config)
    assert report.findings == []
    assert report.settings["names"] == "off"


def test_theme_and_site_texts_are_guarded(tmp_path):
    from storygen.config import Config
    from storygen.model import Code, Origin

    config = Config()
    config.site.author = "Ring 07700 900123 for copies"
    project, composites = make_project(tmp_path, config=config)
    project.codes["listening"] = Code("listening", "Listening", "What Mrs Okafor taught us",
                                      origin=Origin(Path("narratives/codebook.yaml"), 3))
    report = guard_project(project, composites)
    got = {(f.field, f.rule, str(f.origin)) for f in report.findings}
    assert ("site.author", "R1", "storygen.toml") in got
    assert ("theme listening description", "R2", "narratives/codebook.yaml:3") in got
    assert report.blocking
    assert "## Project-wide" in report_markdown(report)


def test_guard_over_several_processes_reports_what_one_reports(tmp_path, monkeypatch):
    """check_composite runs on every CPU on a cold build: same findings, verdicts and used sign-offs."""
    import dataclasses

    from privacy_fixtures import in_one_and_two_processes, make_project
    from storygen.privacy import guard_project

    texts = ["Call me on 07700 900123 any time.", "It was 3 March 2024 when it changed."] + ["We listened."] * 2
    project, (composite,) = make_project(tmp_path / "p", excerpts=texts)
    many = [dataclasses.replace(composite, story=dataclasses.replace(composite.story, slug=f"story-{i:02d}"))
            for i in range(30)]

    def run():
        report = guard_project(project, many)
        return [f.format() for f in report.findings], report.verdicts, report.stale_signoffs

    reports, pools = in_one_and_two_processes(monkeypatch, tmp_path, run)
    assert reports[0] == reports[1] and pools     # the second run did use a pool
    assert reports[0][1]["story-07"] == "blocked"

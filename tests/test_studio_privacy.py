"""The story page's privacy panel over HTTP against the real studio: a finding fixed in one
click (the pseudonym from the map, a general place), undone, refused without the CSRF token
or after an outside edit, and a reviewer's sign-off that `storygen check` then honours."""
from __future__ import annotations

import difflib
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

PLANTED = "Thandiwe Mbeki on Larkspur ward rang me, and the Oakfield Housing Association helped."
MAP = 'people:\n  - real: Thandiwe Mbeki\n    pseudonym: "[my colleague]"\n    sources: [S01]\n'
STORY = "/stories/time-to-listen"


def planted_project(tmp_path: Path, line: str = PLANTED, source: str = "S01") -> Path:
    root = write_project(tmp_path / "proj")
    path = root / "narratives" / "excerpts" / f"{source}.yaml"
    lines = path.read_text().split("\n")
    at = lines.index("    text: |") + 1                      # the source's first excerpt, quoted by the story
    lines.insert(at, f"      {line}")
    path.write_text("\n".join(lines))
    (root / "narratives" / "private").mkdir()
    (root / "narratives" / "private" / "pseudonyms.yaml").write_text(MAP)
    return root


def forms(page: str, action: str) -> list[dict[str, str]]:
    """Every form posting to `action`, as {field: value} of its hidden and text inputs."""
    out = []
    for m in re.finditer(r'<form method="post" action="' + re.escape(action) + r'"([^>]*)>(.*?)</form>', page, re.S):
        fields = {n: unescape(v) for n, v in re.findall(r'name="([^"]+)"[^>]*?value="([^"]*)"', m.group(2))}
        fields["_html"] = m.group(1) + m.group(2)
        out.append(fields)
    return out


def post_form(client: Client, action: str, fields: dict[str, str], **extra) -> tuple[int, dict, str]:
    body = {k: v for k, v in fields.items() if not k.startswith("_")}
    return client.post(action, {**body, **extra})


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def check_cli(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "storygen", "check"], cwd=root, capture_output=True, text=True)


def test_the_pseudonym_from_the_map_in_one_click_and_undone(tmp_path):
    root = planted_project(tmp_path)
    path = root / "narratives" / "excerpts" / "S01.yaml"
    before = path.read_text()
    with running(root) as studio:
        client = Client(studio)
        page = client.get(STORY)[2]
        assert "Thandiwe Mbeki" in page
        [pseudonym] = [f for f in forms(page, f"{STORY}/fix") if f["replacement"] == "[my colleague]"
                       and "own" not in f["_html"]]
        assert "Use the pseudonym “[my colleague]”" in pseudonym["_html"]
        status, headers, _ = post_form(client, f"{STORY}/fix", pseudonym)
        assert status == 303 and "undo=" in headers["location"]
        fixed = path.read_text()
        assert changed_lines(before, fixed) == [f"-      {PLANTED}",
                                                "+      " + PLANTED.replace("Thandiwe Mbeki", "[my colleague]")]
        page = client.get(headers["location"].split("#")[0])[2]
        assert "Replaced “<bdi>Thandiwe Mbeki</bdi>” with “<bdi>[my colleague]</bdi>”" in page
        assert "R5" not in re.sub(r"<[^>]+>", "", page.split('id="privacy"')[1].split("<h2>Review")[0])
        [undo] = forms(page, f"{STORY}/undo")
        assert post_form(client, f"{STORY}/undo", undo)[0] == 303
        assert path.read_text() == before                       # byte for byte
        assert post_form(client, f"{STORY}/undo", undo)[0] == 404   # an undo is used once


def test_a_place_generalised_and_the_undo_refused_after_an_outside_edit(tmp_path):
    root = planted_project(tmp_path)
    path = root / "narratives" / "excerpts" / "S01.yaml"
    with running(root) as studio:
        client = Client(studio)
        page = client.get(STORY)[2]
        [place] = [f for f in forms(page, f"{STORY}/fix") if f["span"] == "Larkspur ward"
                   and "Generalise the place" in f["_html"]]
        status, headers, _ = post_form(client, f"{STORY}/fix", place)
        assert status == 303
        assert "[a nearby town] rang me" in path.read_text()
        [undo] = forms(client.get(headers["location"].split("#")[0])[2], f"{STORY}/undo")
        path.write_text(path.read_text().replace("rang me", "phoned me"))          # another editor
        outside = path.read_text()
        status, _, page = post_form(client, f"{STORY}/undo", undo)
        assert status == 409
        assert "changed on disk after the page was opened" in page and "phoned me" in page
        assert path.read_text() == outside                       # nothing overwritten


def test_own_words_are_stored_literally_and_a_fix_needs_the_csrf_token(tmp_path):
    root = planted_project(tmp_path)
    path = root / "narratives" / "excerpts" / "S01.yaml"
    before = path.read_bytes()
    with running(root) as studio:
        client = Client(studio)
        page = client.get(STORY)[2]
        [own] = [f for f in forms(page, f"{STORY}/fix") if 'class="fix own"' in f["_html"] and f["span"] == "Thandiwe Mbeki"]
        assert post_form(client, f"{STORY}/fix", own, csrf="forged")[0] == 403
        assert post_form(client, f"{STORY}/fix", {k: v for k, v in own.items() if k not in ("csrf", "_html")})[0] == 403
        assert path.read_bytes() == before
        hostile = "[a <b>nurse</b> {{ 7*7 }}]"
        status, headers, _ = post_form(client, f"{STORY}/fix", own, replacement=hostile)
        assert status == 303
        assert f"      {hostile} on Larkspur ward" in path.read_text()
        page = client.get(headers["location"].split("#")[0])[2]
        assert "<b>nurse</b>" not in page and "&lt;b&gt;nurse&lt;/b&gt;" in page


def test_a_sign_off_is_recorded_and_check_then_passes_that_finding(tmp_path):
    root = planted_project(tmp_path, "Oakfield Housing Association helped.", source="S03")
    signoffs = root / "narratives" / "private" / "signoffs.yaml"
    result = check_cli(root)
    assert result.returncode == 1 and "R7 SIGNOFF" in result.stderr + result.stdout   # a reviewer's decision
    assert "BLOCK" not in result.stderr + result.stdout
    with running(root) as studio:
        client = Client(studio)
        page = client.get(STORY)[2]
        [form] = forms(page, f"{STORY}/signoff")
        assert post_form(client, f"{STORY}/signoff", form, reviewer="", reason="")[0] == 422
        assert not signoffs.exists()
        reason = 'a national body, named on its own website: "not local" <script>'
        status, _, _ = post_form(client, f"{STORY}/signoff", form, reviewer="Sam Okafor", reason=reason)
        assert status == 303
        page = client.get(STORY)[2]
        assert "Signed off by Sam Okafor." in page and "<script>" not in page
    text = signoffs.read_text()
    assert text.startswith("# PRIVATE — never published.")
    assert '  reason: "a national body, named on its own website: \\"not local\\" <script>"' in text
    result = check_cli(root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unsignable_finding_offers_no_sign_off_and_is_refused(tmp_path):
    root = planted_project(tmp_path, "Thandiwe Mbeki rang me twice.")
    with running(root) as studio:
        client = Client(studio)
        page = client.get(STORY)[2]
        assert forms(page, f"{STORY}/signoff") == []             # R5: a value known to be real
        key = re.search(r"\b[0-9a-f]{16}\b", subprocess.run(
            [sys.executable, "-m", "storygen", "check"], cwd=root, capture_output=True, text=True).stdout or "")
        status, _, _ = client.post(f"{STORY}/signoff", {"csrf": studio.studio.keys.csrf, "digest": "",
                                                       "key": key.group() if key else "0" * 16,
                                                       "reviewer": "Sam", "reason": "x"})
        assert status == 404
    assert not (root / "narratives" / "private" / "signoffs.yaml").exists()


def test_sign_offs_append_to_the_file_and_a_new_file_is_never_written_over(tmp_path):
    import pytest

    from storygen.privacy.private import load_private
    from storygen.studio import edits, writer

    root = write_project(tmp_path / "proj")
    entry = {"key": "0123456789abcdef", "rule": "R7", "story": "time-to-listen", "span": "Zoë’s “team”",
             "reviewer": "Sam Okafor", "date": "2026-12-04", "reason": "names nobody: a national body"}
    edits.add_signoff(root, "", entry)
    rel = edits.SIGNOFFS_FILE
    first = (root / rel).read_bytes()
    edits.add_signoff(root, writer.digest(first), {**entry, "key": "fedcba9876543210", "reason": "also fine\nreally"})
    text = (root / rel).read_text()
    assert text.startswith(first.decode()) and text.count("- key:") == 2
    signoffs = load_private(root).signoffs
    assert signoffs["0123456789abcdef"].span == "Zoë’s “team”"
    assert signoffs["fedcba9876543210"].reason == "also fine\nreally"     # quoted: a newline stays text
    with pytest.raises(writer.Conflict):
        writer.create(root, rel, b"[]\n")
    assert (root / rel).read_text() == text

"""Saving through the studio's forms, over HTTP against the real server: the CSRF token is
required, review is offered only when check passes, outside edits and loader refusals are
shown and nothing is written."""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import edit, write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

from storygen.project import load_project  # noqa: E402


def digest_in(page: str, action: str) -> str:
    form = page[page.index(f'action="{action}"'):]
    return re.search(r'name="digest" value="([0-9a-f]*)"', form).group(1)


def test_marks_and_consent_save_and_show(tmp_path):
    root = write_project(tmp_path / "proj")
    with running(root) as studio:
        client = Client(studio)
        page = client.get("/excerpts/S02-02")[2]
        status, headers, _ = client.post("/excerpts/S02-02/flags", {
            "csrf": studio.studio.keys.csrf, "digest": digest_in(page, "/excerpts/S02-02/flags"),
            "featured": "yes", "singular": "yes"})
        assert status == 303 and headers["location"] == "/excerpts/S02-02?saved=1"
        page = client.get("/excerpts/S02-02?saved=1")[2]
        assert "Saved." in page and "never quoted" in page
        status, _, _ = client.post("/sources/S02/consent", {
            "csrf": studio.studio.keys.csrf, "digest": digest_in(page, "/sources/S02/consent"),
            "back": "S02-02", "composite": "yes", "web": "yes"})
        assert status == 303
    project = load_project(root)
    assert project.excerpts["S02-02"].featured and project.excerpts["S02-02"].singular
    assert project.sources["S02"].consent.web and not project.sources["S02"].consent.video
    assert "S02: {role: staff, sector: health, consent: {composite: yes, web: yes, video: no}}" in \
        (root / "narratives" / "sources.yaml").read_text()


def test_a_post_without_the_csrf_token_changes_nothing(tmp_path):
    root = write_project(tmp_path / "proj")
    before = (root / "narratives" / "excerpts" / "S02.yaml").read_bytes()
    with running(root) as studio:
        client = Client(studio)
        page = client.get("/excerpts/S02-02")[2]
        form = {"digest": digest_in(page, "/excerpts/S02-02/flags"), "featured": "yes"}
        assert client.post("/excerpts/S02-02/flags", form)[0] == 403
        assert client.post("/excerpts/S02-02/flags", {**form, "csrf": "forged"})[0] == 403
        assert client.request("GET", "/excerpts/S02-02/flags?featured=yes")[0] == 405   # no change by GET
    assert (root / "narratives" / "excerpts" / "S02.yaml").read_bytes() == before


def test_outside_edit_refuses_the_save_and_shows_both_versions(tmp_path):
    root = write_project(tmp_path / "proj")
    path = root / "narratives" / "excerpts" / "S02.yaml"
    with running(root) as studio:
        client = Client(studio)
        page = client.get("/excerpts/S02-02")[2]
        edit(path, "source: S02", "source: S02  # checked by Ali")
        on_disk = path.read_bytes()
        status, _, page = client.post("/excerpts/S02-02/flags", {
            "csrf": studio.studio.keys.csrf, "digest": digest_in(page, "/excerpts/S02-02/flags"), "featured": "yes"})
        assert status == 409
        assert "changed on disk" in page and "# checked by Ali" in page and "featured yes" in page
    assert path.read_bytes() == on_disk


def test_review_is_refused_while_check_finds_problems(tmp_path):
    root = write_project(tmp_path / "proj")
    story = root / "narratives" / "stories" / "time-to-listen.md"
    edit(story, "status: approved", "status: draft")
    edit(story, '{{ excerpt("S03-01") }}', '{{ excerpt("S07-01") }}')     # S07 withdrew: C12 blocks
    before = story.read_bytes()
    with running(root) as studio:
        client = Client(studio)
        page = client.get("/stories/time-to-listen")[2]
        assert 'value="approved" disabled' in page and "C12" in page
        status, _, page = client.post("/stories/time-to-listen/review", {
            "csrf": studio.studio.keys.csrf, "digest": digest_in(page, "/stories/time-to-listen/review"),
            "status": "approved", "reviewer": "Sam"})
        assert status == 422 and "finds problems" in page
    assert story.read_bytes() == before


def test_approving_needs_a_name_and_records_it(tmp_path):
    root = write_project(tmp_path / "proj")
    story = root / "narratives" / "stories" / "time-to-listen.md"
    edit(story, "status: approved", "status: draft")
    with running(root) as studio:
        client = Client(studio)
        page = client.get("/stories/time-to-listen")[2]
        form = {"csrf": studio.studio.keys.csrf, "digest": digest_in(page, "/stories/time-to-listen/review"),
                "status": "approved", "reviewer": " "}
        status, _, page = client.post("/stories/time-to-listen/review", form)
        assert status == 422 and "needs the reviewer" in page
        status, _, _ = client.post("/stories/time-to-listen/review", {**form, "reviewer": "Sam Okafor"})
        assert status == 303
    approved = load_project(root).story("time-to-listen")
    assert approved.status == "approved" and approved.reviewer == "Sam Okafor" and approved.reviewed_on

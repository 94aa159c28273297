"""Pictures in the composer over HTTP against the real studio: a picture added with its alt
text and credit, one alt text changed, the picture removed, each as the smallest change to
the story file; a missing alt text and a path outside assets/ refused with the loader's
words and nothing written; hostile alt text stored as typed and escaped on the page."""
from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import lxml.html
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

from storygen.project import load_project  # noqa: E402

EDIT = "/stories/time-to-listen/edit"


def project_with_pictures(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "proj")
    (root / "assets" / "images").mkdir(parents=True)
    for name, colour in (("table.jpg", (200, 160, 90)), ("window.png", (40, 90, 160))):
        Image.new("RGB", (1920, 1440), colour).save(root / "assets" / "images" / name)
    return root


def form_values(page: str) -> dict[str, str | list[str]]:
    """The composer form's fields as a browser would send them untouched."""
    [form] = [f for f in lxml.html.fromstring(page).forms if f.action == EDIT]
    values: dict[str, str | list[str]] = {}
    for name, value in form.form_values():
        if name in values:
            values[name] = [*([values[name]] if isinstance(values[name], str) else values[name]), value]
        else:
            values[name] = value
    return values


def save(client: Client, values: dict) -> tuple[int, dict, str]:
    from urllib.parse import urlencode
    body = urlencode([(k, v) for k, vs in values.items() for v in ([vs] if isinstance(vs, str) else vs)]).encode()
    return client.request("POST", EDIT, body, {"Content-Type": "application/x-www-form-urlencoded"})


def diff(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_picture_added_changed_and_removed_with_the_smallest_changes(tmp_path):
    root = project_with_pictures(tmp_path)
    story = root / "narratives" / "stories" / "time-to-listen.md"
    original = story.read_text()
    with running(root) as studio:
        client = Client(studio)
        values = form_values(client.get(EDIT)[2])
        assert values["pictures"] == "1" and values["picture_image_0"] == ""
        values.update(picture_image_0="images/table.jpg", picture_alt_0="Two mugs on a kitchen table.",
                      picture_credit_0="Photo by the comms team")
        assert save(client, values)[0] == 303
        added = story.read_text()
        assert diff(original, added) == ["+images:", "+  - image: images/table.jpg",
                                         "+    alt: Two mugs on a kitchen table.",
                                         "+    credit: Photo by the comms team"]
        result = subprocess.run([sys.executable, "-m", "storygen", "check"], cwd=root, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

        values = form_values(client.get(EDIT)[2])
        assert values["pictures"] == "2" and values["picture_alt_0"] == "Two mugs on a kitchen table."
        values["picture_alt_0"] = "Two mugs and a folder of letters on a kitchen table."
        assert save(client, values)[0] == 303
        assert diff(added, story.read_text()) == [
            "-    alt: Two mugs on a kitchen table.",
            "+    alt: Two mugs and a folder of letters on a kitchen table."]

        values = form_values(client.get(EDIT)[2])
        values["picture_image_0"] = ""
        assert save(client, values)[0] == 303
    assert story.read_text() == original
    assert load_project(root).story("time-to-listen").images == ()


def test_a_missing_alt_text_or_a_path_outside_assets_is_refused_and_nothing_written(tmp_path):
    root = project_with_pictures(tmp_path)
    story = root / "narratives" / "stories" / "time-to-listen.md"
    before = story.read_bytes()
    with running(root) as studio:
        client = Client(studio)
        values = form_values(client.get(EDIT)[2])
        status, _, page = save(client, {**values, "picture_image_0": "images/window.png", "picture_alt_0": ""})
        assert status == 422 and "an image has no alt text" in page
        status, _, page = save(client, {**values, "picture_image_0": "../../../etc/passwd", "picture_alt_0": "x"})
        assert status == 422 and "points outside the project&#39;s assets/ folder" in page
    assert story.read_bytes() == before


def test_hostile_alt_text_is_stored_as_typed_and_escaped_on_the_page(tmp_path):
    root = project_with_pictures(tmp_path)
    hostile = "<script>alert(1)</script> {{ 7*7 }} \u202eevil"
    with running(root) as studio:
        client = Client(studio)
        values = form_values(client.get(EDIT)[2])
        assert save(client, {**values, "picture_image_0": "images/table.jpg", "picture_alt_0": hostile})[0] == 303
        page = client.get(EDIT)[2]
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    [picture] = load_project(root).story("time-to-listen").images
    assert picture.alt == hostile

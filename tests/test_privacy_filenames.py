"""The output scan reads file names: generated hash names are not identifiers, real ones are caught."""
import pytest
from PIL import Image

from projectkit import write_project
from storygen.build import check
from storygen.privacy import scan_output


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("fn") / "p")
    return check(root)


@pytest.mark.parametrize("name", ["en_5640761.pf_index", "en_ae9a8be.pf_fragment", "pagefind.en_4c5182685a.pf_meta",
                                  "kitchen-table-8f4c8f4df1-1600.webp", "en_582841b.pf_index"])
def test_generated_names_scan_clean(tmp_path, checked, name):
    (tmp_path / "pagefind").mkdir()
    target = tmp_path / "pagefind" / name
    if target.suffix == ".webp":
        Image.new("RGB", (8, 8), "white").save(target)
    else:
        target.write_bytes(b"\x00binary")
    assert scan_output(tmp_path, checked.project, checked.composites) == []


@pytest.mark.parametrize("name,fragment", [("call-07700900123.html", "phone"), ("call-07700-900123.html", "phone"), ("S01-notes.html", "S01"),
                                           ("story-S02-01.html", "S02-01")])
def test_identifiers_in_file_names_are_caught(tmp_path, checked, name, fragment):
    (tmp_path / name).write_text("<p>hello</p>")
    findings = scan_output(tmp_path, checked.project, checked.composites)
    assert findings and any(fragment in (f.span + f.message) for f in findings), [f.format() for f in findings]


def test_generated_names_inside_pages_and_index_scan_clean(tmp_path, checked):
    (tmp_path / "index.json").write_text(
        '{"meta": {"image": "../../images/picture-12-fcc0872747-960.jpg"}, "shards": "0,1,2,3,4,5,6,7,8,9"}')
    (tmp_path / "page.html").write_text('<img src="images/a-04607516-1600.webp" alt="A table."> <p>Hello.</p>')
    assert scan_output(tmp_path, checked.project, checked.composites) == []


def test_a_phone_next_to_a_generated_name_is_still_caught(tmp_path, checked):
    (tmp_path / "index.json").write_text('{"image": "a-fcc0872747-960.jpg", "content": "ring 07700 900123"}')
    findings = scan_output(tmp_path, checked.project, checked.composites)
    assert any("07700 900123" in f.span for f in findings)

"""The golden build: the sample project's outputs against the committed copy in tests/golden/sample/.

A difference means the build's output changed. If the change is intended,
refresh the copy with `python -m tests.golden --refresh` and commit the diff.
"""
import pytest

import golden

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    return golden.build_sample(tmp_path_factory.mktemp("golden"))


def test_sample_build_matches_the_golden_copy(sample_build):
    problems = golden.differences(golden.snapshot(sample_build), golden.read_golden())
    assert not problems, ("the build differs from tests/golden/sample (refresh on purpose with "
                          "`python -m tests.golden --refresh`):\n" + "\n".join(problems))


def test_a_changed_page_shows_as_a_difference(sample_build):
    """The comparison can fail: one edited line of one page is reported, with the page's name."""
    actual = golden.snapshot(sample_build)
    actual["site/about/index.html"] = actual["site/about/index.html"].replace("</h1>", "!</h1>", 1)
    actual["properties.json"] = actual["properties.json"].replace('"duration": ', '"duration": 1', 1)
    problems = golden.differences(actual, golden.read_golden())
    assert len(problems) == 2
    assert "site/about/index.html" in problems[1] and "!</h1>" in problems[1]
    assert ".mp4" in problems[0]

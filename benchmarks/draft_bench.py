"""Benchmark: `storygen draft` on the sample and on feedback-sized pools.

    python benchmarks/draft_bench.py [--keep DIR] [--seed N]

Three projects, each drafted theme by theme the way a team would start its
stories (each draft written before the next, so later drafts avoid the
excerpts earlier ones took):

(a) the sample project in this repository (6 themes);
(b) 10,000 excerpts, one source each (patient feedback: one comment per
    person), 6 themes of 3 sub-codes;
(c) 500 sources with 20 excerpts each (interviews), the same 6 themes.

In (b) and (c) excerpt lengths are drawn like real feedback: log-normal with a
median of about 70 words and a long tail to 1,800. The text is real: sentences
from the public patient comments in ../shared/fixtures/care-opinion/ (rows with
no identifying span; CC BY-NC-SA 4.0, The Strategy Unit's pxtextmining / Care
Opinion), read at run time and never copied into the repository. Consent, withdrawals,
singular and featured flags are drawn at rates teams report. Each generated
project also has a seventh, sparse theme carried by only two sources, where
the draft must refuse (C4).

For every draft it records whether it succeeded, the time `storygen draft`
takes (project load, then choose + shape + read back + check + write), the
figures of the result, and whether `storygen check --drafts` then passes with
the privacy guard on. Whether a theme has a balanced selection is decided
independently of the draft code, by a simple witness: three sources of one
role, consenting to both media and not withdrawn, each with an unused,
non-singular excerpt on the theme, the longest of the three at most 40 % of
their sum and the sum within a video's 750 words (found by a scan over the
excerpts sorted by length). Every theme with a witness must draft; a theme
without one may refuse, and its message is shown.
Not a test: the times depend on the machine (the load average is printed).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from storygen.build import check  # noqa: E402
from storygen.compose.draft import make_draft  # noqa: E402
from storygen.compose.draft.request import checked  # noqa: E402
from storygen.errors import StorygenError  # noqa: E402
from storygen.project import load_project  # noqa: E402

FEEDBACK = REPO.parent / "shared" / "fixtures" / "care-opinion" / "labelled.jsonl"
THEMES = {
    "holistic-wellbeing": ("A holistic approach to wellbeing", ["whole-person", "basics-first", "connection"]),
    "caring-about-staff": ("Caring about staff", ["reflective-space", "manageable-workload", "feeling-valued"]),
    "turning-off-targets": ("Turning off targets", ["time-limits", "measuring-what-matters", "closing-cases"]),
    "working-together": ("Working together", ["shared-records", "tell-it-once", "community-partners"]),
    "recalculating-risk": ("Recalculating risk", ["positive-risk", "trust-over-rules", "doing-nothing"]),
    "person-centred-technology": ("Person-centred technology", ["choice-of-channel", "digital-support",
                                                                "useful-tools"]),
}
SPARSE = "rarely-mentioned"
SECTORS = ["health", "council", "housing", "employment", "complaints"]


# --- real words -----------------------------------------------------------------

def feedback_sentences() -> list[str]:
    """Sentences from the public comments with nothing identifying marked in them."""
    if not FEEDBACK.is_file():
        sys.exit(f"needs {FEEDBACK} (the shared fixtures beside the repository)")
    sentences = []
    for line in FEEDBACK.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["spans"]:
            continue
        for part in re.split(r"(?<=[.!?])\s+", " ".join(row["text"].split())):
            if len(part.split()) >= 4:
                sentences.append(part)
    return sentences


def text_of(rng: random.Random, sentences: list[str], words: int) -> str:
    out: list[str] = []
    while len(out) < words:
        out += rng.choice(sentences).split()
    return " ".join(out[:words])


def feedback_length(rng: random.Random) -> int:
    """Log-normal, median 70 words; of 10,000 draws the longest comes out near 1,800."""
    return max(10, min(1800, round(math.exp(rng.gauss(math.log(70), 0.88)))))


# --- the generated projects -------------------------------------------------------

def generate(root: Path, rng: random.Random, sentences: list[str], *, sources: int, per_source: int,
             roles: tuple[str, ...]) -> dict:
    (root / "narratives" / "excerpts").mkdir(parents=True)
    (root / "narratives" / "stories").mkdir()
    (root / "assets").mkdir()
    (root / "storygen.toml").write_text('[site]\ntitle = "Draft benchmark"\n'
                                        'base_url = "https://example.org/stories/"\n')
    codebook = {theme: {"name": name, "codes": {s: {"name": s.replace("-", " ").capitalize()} for s in subs}}
                for theme, (name, subs) in THEMES.items()}
    codebook[SPARSE] = {"name": "Rarely mentioned"}
    (root / "narratives" / "codebook.yaml").write_text(yaml.safe_dump(codebook, sort_keys=False))
    people, files = {}, {}
    lengths = []
    for s in range(sources):
        sid = f"P{s:05d}"
        roll = rng.random()
        people[sid] = {"role": roles[s % len(roles)], "sector": rng.choice(SECTORS),
                       "consent": {"composite": "yes" if roll < 0.95 else "no", "web": "yes",
                                   "video": "yes" if rng.random() < 0.75 else "no"},
                       "withdrawn": "yes" if rng.random() < 0.02 else "no"}
        items = []
        for k in range(per_source):
            theme = rng.choice(list(THEMES))
            codes = [f"{theme}/{rng.choice(THEMES[theme][1])}"]
            if rng.random() < 0.15:
                other = rng.choice(list(THEMES))
                codes.append(f"{other}/{rng.choice(THEMES[other][1])}")
            words = feedback_length(rng)
            lengths.append(words)
            item = {"id": f"{sid}-{k + 1:02d}", "codes": list(dict.fromkeys(codes)),
                    "text": text_of(rng, sentences, words)}
            if rng.random() < 0.05:
                item["featured"] = "yes"
            if rng.random() < 0.01:
                item["singular"] = "yes"
            items.append(item)
        files[sid] = {"source": sid, "excerpts": items}
    for sid in list(people)[:2]:           # the sparse theme: two people only, so no draft can be made
        files[sid]["excerpts"].append({"id": f"{sid}-rare", "codes": [SPARSE],
                                       "text": text_of(rng, sentences, 60)})
    (root / "narratives" / "sources.yaml").write_text(yaml.safe_dump(people, sort_keys=False))
    # Group many sources per file, as an import from a spreadsheet would.
    chunk = max(1, len(files) // 50)
    ids = list(files)
    for start in range(0, len(ids), chunk):
        batch = [dict(files[i], excerpts=[dict(e, source=i) for e in files[i]["excerpts"]]) for i in
                 ids[start:start + chunk]]
        excerpts = [e for b in batch for e in b["excerpts"]]
        (root / "narratives" / "excerpts" / f"batch-{start // chunk:03d}.yaml").write_text(
            yaml.safe_dump({"excerpts": excerpts}, sort_keys=False, allow_unicode=True, width=10_000))
    return {"excerpts": len(lengths), "median": statistics.median(lengths), "longest": max(lengths)}


def copy_sample(root: Path) -> None:
    for part in ("narratives", "assets", "storygen.toml"):
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / part)


# --- measuring ---------------------------------------------------------------------

def witness(project, theme: str, taken: set[str]) -> bool:
    """Three sources of one role, consenting to both media, one unused excerpt each, whose lengths
    a <= b <= c keep c within 40 % of a + b + c and the total within a video's 750 words."""
    by_role: dict[str, list[tuple[int, str]]] = {}
    for e in project.excerpts.values():
        src = project.sources[e.source_id]
        usable = src.consent.composite and src.consent.web and src.consent.video and not src.withdrawn
        if usable and not e.singular and e.id not in taken and any(project.codes[c].within(theme)
                                                                   for c in e.codes):
            by_role.setdefault(src.role, []).append((e.words, src.id))
    for items in by_role.values():
        best: dict[str, int] = {}               # the two longest so far, from different sources
        for words, source_id in sorted(items):
            others = sorted((w for s, w in best.items() if s != source_id), reverse=True)[:2]
            if len(others) == 2 and words <= 0.4 * (words + sum(others)) and words + sum(others) <= 750:
                return True
            best[source_id] = max(best.get(source_id, 0), words)
            best = dict(sorted(best.items(), key=lambda kv: -kv[1])[:3])
    return False


def draft_all(name: str, root: Path, themes: list[str], out: list[str]) -> list[dict]:
    rows = []
    for theme in themes:
        t0 = time.perf_counter()
        project = load_project(root)
        t1 = time.perf_counter()
        existing = check(root, drafts=True)
        taken = {seg.excerpt_id for c in existing.composites for seg in c.excerpt_segments}
        has_witness = witness(project, theme, taken)
        t2 = time.perf_counter()
        try:
            made = make_draft(project, checked(project, theme=theme))
            error = None
        except StorygenError as exc:
            made, error = None, exc.format_message()
        t3 = time.perf_counter()
        row = {"theme": theme, "witness": has_witness, "load": t1 - t0, "draft": t3 - t2, "ok": made is not None}
        if made is not None:
            result = check(root, drafts=True)
            mine = [f for f in result.findings if f.story == made.slug]
            privacy = [f for f in (result.privacy.findings if result.privacy else [])
                       if f.story == made.slug and not f.resolved]
            composite = next(c for c in result.composites if c.story.slug == made.slug)
            row.update(passes=not result.blocking and not mine and not privacy,
                       excerpts=len(composite.excerpt_segments), sources=len(composite.stats.sources),
                       quoted=composite.stats.quoted_words, share=max(composite.stats.source_words.values()) / composite.stats.quoted_words,
                       chapters=len(made.chapters), notes=made.notes)
        else:
            row["error"] = error
        rows.append(row)
    return rows


def report(name: str, facts: str, rows: list[dict], out: list[str]) -> None:
    out.append(f"\n({name}) {facts}")
    out.append(f"  {'theme':<27} {'witness':>7} {'result':>7} {'load s':>7} {'draft s':>8} {'excerpts':>8} "
               f"{'sources':>7} {'quoted':>6} {'top %':>6} {'chapters':>8}  check --drafts")
    for r in rows:
        if r["ok"]:
            out.append(f"  {r['theme']:<27} {'yes' if r['witness'] else 'no':>7} {'drafted':>7} {r['load']:>7.3f} "
                       f"{r['draft']:>8.3f} {r['excerpts']:>8} {r['sources']:>7} {r['quoted']:>6} "
                       f"{r['share'] * 100:>6.0f} {r['chapters']:>8}  {'passes' if r['passes'] else 'FAILS'}")
            out += [f"      note: {n}" for n in r["notes"]]
        else:
            out.append(f"  {r['theme']:<27} {'yes' if r['witness'] else 'no':>7} {'refused':>7} {r['load']:>7.3f} "
                       f"{r['draft']:>8.3f}  {r['error'][:150]}")
    ok = [r for r in rows if r["ok"]]
    missed = [r["theme"] for r in rows if r["witness"] and not r["ok"]]
    failing = [r["theme"] for r in ok if not r["passes"]]
    slow = [r["theme"] for r in rows if r["draft"] >= 1.0]
    drafts = [r["draft"] for r in rows]
    out.append(f"  drafted {len(ok)} of {len(rows)}; themes with a witness that did not draft: {missed or 'none'}; "
               f"drafts failing check: {failing or 'none'}; draft time median {statistics.median(drafts):.3f} s, "
               f"max {max(drafts):.3f} s (target < 1 s; over: {slow or 'none'}); project load median "
               f"{statistics.median(r['load'] for r in rows):.3f} s")


def cli_once(root: Path, theme: str, runs: int = 2) -> float:
    """A real `storygen draft --dry-run` process, start to exit (Python start-up, imports, project
    load, the privacy guard's first scan included): the best of `runs`."""
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "storygen", "draft", "--project", str(root), "--theme",
                               theme, "--dry-run"], capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if done.returncode not in (0, 2):
            raise SystemExit(done.stderr)
        best = elapsed if best is None else min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="generate the projects here and keep them")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="draft-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    out = [f"# python benchmarks/draft_bench.py --seed {args.seed} — {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, "
           f"commit {commit}, privacy guard ON, {os.cpu_count()} CPUs, load average at start "
           f"{os.getloadavg()[0]:.2f}"]
    out.append("# columns: load s = reading the project (storygen's reader, paid once per `storygen draft`); "
               "draft s = choose + shape + read back + check (rules and privacy guard) + write, in one process "
               "(imports warm after the first draft); check --drafts = the real check run after each draft")
    sentences = feedback_sentences()
    try:
        sample = work / "sample"
        copy_sample(sample)
        sample_themes = list(load_project(sample).codes)
        sample_themes = [t for t in sample_themes if "/" not in t]
        rows = draft_all("a", sample, sample_themes, out)
        report("a", "the sample project: 13 interviews, 6 themes", rows, out)
        for name, sources, per_source, roles in (("b", 10_000, 1, ("community",)),
                                                 ("c", 500, 20, ("community", "staff"))):
            root = work / name
            rng = random.Random(args.seed)
            t0 = time.perf_counter()
            facts = generate(root, rng, sentences, sources=sources, per_source=per_source, roles=roles)
            made = time.perf_counter() - t0
            rows = draft_all(name, root, list(THEMES) + [SPARSE], out)
            process = cli_once(root, list(THEMES)[0])
            report(name, f"{sources} sources x {per_source} excerpt(s) = {facts['excerpts']} excerpts "
                         f"(median {facts['median']:.0f} words, longest {facts['longest']}), roles "
                         f"{'/'.join(roles)}; generated in {made:.1f} s; a whole `storygen draft --dry-run` "
                         f"process on it (best of 2): {process:.2f} s", rows, out)
        out.append(f"# load average at end {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(out) + "\n"
    print(text)
    (Path(__file__).with_name("draft_bench_results.txt")).write_text(text)


if __name__ == "__main__":
    main()

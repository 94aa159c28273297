"""Small fixture projects for the privacy tests: real model objects, real files in tmp folders."""
from __future__ import annotations

from pathlib import Path

from storygen.config import Config
from storygen.model import (Code, Composite, CompositeStats, Consent, Excerpt, Origin, Persona, Picture,
                            Project, Segment, Source, Story, text_hash)

CLEAN = [
    "We stopped counting how fast we closed a case. We started asking whether the person would need to come back.",
    "The first time I sat down with her, I just listened. Nobody had done that for years.",
    "We share one record now, so people only tell their story once.",
    "It took months before the teams trusted each other with the details.",
]


def make_project(root: Path, excerpts: list[str] | None = None, private: dict[str, str] | None = None,
                 persona: str = "Sam", title: str = "Time to listen", summary: str = "A support worker on change.",
                 bridge: str = "Sam has worked on the front desk for years.", images: tuple[Picture, ...] = (),
                 slug: str = "time-to-listen", config: Config | None = None) -> tuple[Project, list[Composite]]:
    """A project with one composite built from `excerpts` (one source each), files under `root`."""
    root = Path(root)
    texts = excerpts if excerpts is not None else CLEAN
    (root / "narratives" / "excerpts").mkdir(parents=True, exist_ok=True)
    (root / "narratives" / "private").mkdir(parents=True, exist_ok=True)
    for name, content in (private or {}).items():
        (root / "narratives" / "private" / name).write_text(content, encoding="utf-8")
    sources, exs, segs = {}, {}, []
    story_origin = Origin(Path("narratives/stories") / f"{slug}.md", 1)
    segs.append(Segment(kind="heading", text="Before", level=2, line=20))
    segs.append(Segment(kind="bridge", text=bridge, line=22))
    lines = []
    for i, text in enumerate(texts, start=1):
        sid, eid = f"S0{i}", f"S0{i}-01"
        sources[sid] = Source(sid, "staff", "council", Consent(True, True, True))
        line = 2 + (i - 1) * 4
        exs[eid] = Excerpt(eid, sid, text, ("listening",), origin=Origin(Path("narratives/excerpts/all.yaml"), line))
        lines.append(f"  - id: {eid}\n    source: {sid}\n    text: |\n      {text}\n")
        segs.append(Segment(kind="excerpt", text=text, excerpt_id=eid, source_id=sid, text_hash=text_hash(text),
                            codes=("listening",), line=24 + i))
    (root / "narratives" / "excerpts" / "all.yaml").write_text("excerpts:\n" + "".join(lines), encoding="utf-8")
    story = Story(slug=slug, title=title, summary=summary, persona=Persona(persona, "support worker",
                  "a council in the north of England"), voice="first", themes=("listening",), status="approved",
                  images=images, origin=story_origin)
    words = {s.source_id: s.words for s in segs if s.kind == "excerpt"}
    stats = CompositeStats(sources=tuple(sorted(words)), source_words=words, quoted_words=sum(words.values()),
                           bridge_words=5, total_words=sum(words.values()) + 5,
                           theme_sources={"listening": tuple(sorted(words))}, duration_seconds=60.0)
    composite = Composite(story=story, segments=tuple(segs), stats=stats)
    project = Project(root=root, config=config or Config(), codes={"listening": Code("listening", "Listening")},
                      sources=sources, excerpts=exs, stories=[story])
    return project, [composite]


def in_one_and_two_processes(monkeypatch, tmp_path: Path, run) -> tuple[list, list]:
    """`run()` with STORYGEN_JOBS=1, then 2, each with a cache of its own. Returns both
    results and the process pools that were started (the second run should use one)."""
    import storygen.parallel

    pools: list = []
    real_pool = storygen.parallel.ProcessPoolExecutor
    monkeypatch.setattr(storygen.parallel, "ProcessPoolExecutor", lambda **kw: pools.append(kw) or real_pool(**kw))
    results = []
    for jobs in ("1", "2"):
        monkeypatch.setenv("STORYGEN_JOBS", jobs)
        monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / f"cache-{jobs}"))
        results.append(run())
    return results, pools

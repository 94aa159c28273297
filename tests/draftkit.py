"""Story projects with a pool of excerpts chosen by the test, for `storygen draft` tests.

`pool_project(root, sources, excerpts)` writes a project whose codebook has one
theme `care` (sub-themes `listening`, `waiting`, `money`, in that order) and a
second theme `other`. Sources and excerpts are given as small dicts; excerpt
text is real English words, as many as asked for.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from projectkit import CONFIG

CODEBOOK = """\
care:
  name: Care that listens
  codes:
    listening:
      name: Being listened to
    waiting:
      name: Waiting
    money:
      name: Money worries
other:
  name: Something else
"""

WORDS = ("the nurse sat down with me and asked what would help and then she actually did it which "
         "nobody had done before in all the months of appointments letters and phone calls I had").split()


def words(n: int, seed: int = 0) -> str:
    return " ".join(WORDS[(seed + i) % len(WORDS)] for i in range(n))


def source(role="community", sector="health", composite=True, web=True, video=True, withdrawn=False,
           region=None) -> dict:
    entry = {"role": role, "sector": sector,
             "consent": {"composite": "yes" if composite else "no", "web": "yes" if web else "no",
                         "video": "yes" if video else "no"},
             "withdrawn": "yes" if withdrawn else "no"}
    if region:
        entry["attributes"] = {"region": region}
    return entry


def pool_project(root: Path, sources: dict[str, dict], excerpts: list[dict], *, privacy: bool = False,
                 codebook: str = CODEBOOK, rules: str = "", stories: dict[str, str] | None = None) -> Path:
    """`excerpts`: dicts with id, source, words (a count) or text, codes, and optional featured/singular."""
    root.mkdir(parents=True, exist_ok=True)
    config = CONFIG + ("" if privacy else "\n[privacy]\nenabled = false\n") + (f"\n[rules]\n{rules}\n" if rules else "")
    (root / "storygen.toml").write_text(config)
    narratives = root / "narratives"
    (narratives / "excerpts").mkdir(parents=True, exist_ok=True)
    (narratives / "stories").mkdir(parents=True, exist_ok=True)
    (root / "assets").mkdir(exist_ok=True)
    (narratives / "codebook.yaml").write_text(codebook)
    (narratives / "sources.yaml").write_text(yaml.safe_dump(sources, sort_keys=False))
    items = []
    for index, e in enumerate(excerpts):
        item = {"id": e["id"], "source": e["source"], "codes": list(e.get("codes", ["care/listening"])),
                "text": e.get("text") or words(e["words"], index)}
        for flag in ("featured", "singular"):
            if e.get(flag):
                item[flag] = "yes"
        items.append(item)
    (narratives / "excerpts" / "all.yaml").write_text(yaml.safe_dump({"excerpts": items}, sort_keys=False,
                                                                      allow_unicode=True))
    for slug, text in (stories or {}).items():
        (narratives / "stories" / f"{slug}.md").write_text(text)
    return root


def new_stories(root: Path, before: set[str]) -> list[Path]:
    return sorted(p for p in (root / "narratives" / "stories").iterdir() if p.name not in before)

"""Choosing a draft's excerpts: the best selection the rules allow, by a bounded search.

1. Construction. For each plausible number of excerpts n, the ideal excerpt is
   target/n words long; a greedy pass picks n excerpts one at a time, each time
   the one that best fits that length and adds something new (a featured
   excerpt, another source, sub-theme or sector).
2. Improvement. The best constructions are refined by swapping, adding and
   removing single excerpts while the selection stays valid and gets better.
3. Exact fallback. When no construction satisfies the rules, `exact` decides
   whether any selection can, and if so seeds step 2 with the valid selection
   closest to the target length. Only when none exists does the draft refuse,
   naming the rule and the numbers (`Refusal`).

"Better" is one cost (lower is better), weighing, in this order of importance:
length close to the target; featured excerpts; excerpts of comparable length;
variety of sub-themes, sources and sectors; excerpts of the length typical of
this data. Every tie is broken by excerpt id, so the same project always gives
the same draft.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..rules import Limits, VIDEO_WORD_CAP
from . import exact
from .pool import Candidate

# Weights of the cost (see the module docstring). Lengths are compared as ratios,
# so a 35-word excerpt is as far from 70 as a 140-word one is.
W_LENGTH = 3.0          # |quoted - target| / target
W_FEATURED = 1.0        # share of featured excerpts (C16)
W_SPREAD = 1.0          # spread of excerpt lengths: standard deviation / mean
W_CHAPTERS = 0.6        # sub-themes covered / as many as could be
W_VOICES = 0.4          # sources / excerpts (one excerpt per person where the data allows)
W_SECTORS = 0.3         # sectors covered / as many as could be
W_TYPICAL = 0.2         # mean excerpt length against the pool's median, as a ratio

MAX_EXCERPTS = 16       # a draft longer than this reads as a list, not a story
SHORTLIST = 150         # candidates the greedy pass and the swaps consider for one size
SHORTLIST_SOURCES = 60  # of which: the best excerpt of this many different sources
IMPROVE_ROUNDS = 6


class Refusal(Exception):
    """No selection satisfies the rules. `rule` is the binding one; the message has the numbers."""

    def __init__(self, rule: str, message: str, hint: str = ""):
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint


@dataclass(frozen=True)
class Goal:
    limits: Limits
    need: int                   # distinct sources (C4, C11)
    target: int                 # quoted words to aim at
    cap: int | None             # the most quoted words allowed (video, C15), or None


@dataclass
class Selection:
    chosen: list[Candidate]
    note: str = ""              # said to the user when the draft could not be what was asked for
    closest: bool = False       # proved: no valid selection is nearer the length aimed at

    @property
    def quoted(self) -> int:
        return sum(c.words for c in self.chosen)


class _Scorer:
    """The cost of a selection against one pool (see the module docstring)."""

    def __init__(self, pool: list[Candidate], goal: Goal):
        self.goal = goal
        self.typical = statistics.median(c.words for c in pool)
        self.chapters = len({c.chapter for c in pool})
        self.sectors = len({c.sector for c in pool})

    def valid(self, chosen) -> bool:
        per_source: dict[str, int] = {}
        for c in chosen:
            per_source[c.source] = per_source.get(c.source, 0) + c.words
        quoted = sum(per_source.values())
        if len(per_source) < self.goal.need:
            return False
        if self.goal.cap is not None and quoted > self.goal.cap:
            return False
        return not any(self.goal.limits.dominates(w, quoted) for w in per_source.values())

    def cost(self, chosen) -> tuple[float, tuple]:
        n = len(chosen)
        quoted = sum(c.words for c in chosen)
        mean = quoted / n
        # Plain float arithmetic (statistics.pstdev is exact, with fractions, and 20x slower here).
        spread = math.sqrt(sum((c.words - mean) ** 2 for c in chosen) / n) / mean
        value = (W_LENGTH * abs(quoted - self.goal.target) / self.goal.target
                 - W_FEATURED * sum(c.featured for c in chosen) / n
                 + W_SPREAD * spread
                 - W_CHAPTERS * len({c.chapter for c in chosen}) / min(n, self.chapters)
                 - W_VOICES * len({c.source for c in chosen}) / n
                 - W_SECTORS * len({c.sector for c in chosen}) / min(n, self.sectors)
                 + W_TYPICAL * (_ratio(mean, self.typical) - 1))
        return round(value, 9), tuple(sorted(c.key for c in chosen))


def choose(pool: list[Candidate], goal: Goal) -> Selection:
    """The best valid selection from `pool` (one role's candidates), or a `Refusal`."""
    scorer = _Scorer(pool, goal)
    seeds = _constructions(pool, goal, scorer)
    note = ""
    if not seeds:
        seed, note = _exact_seed(pool, goal)
        seeds = [seed]
    best = min((_improve(seed, _shortlist(pool, goal.target / len(seed)), scorer) for seed in seeds),
               key=scorer.cost)
    miss = abs(sum(c.words for c in best) - goal.target)
    proved = False
    if not note and miss > goal.target / 4:
        # Far from the length asked for: the quick search may have stopped short of a closer selection.
        try:
            closer = _closest(pool, goal, miss)
            proved = True
        except exact.SearchLimit:
            closer = None
        if closer is not None:
            improved = _improve(closer, _shortlist(pool, goal.target / len(closer)), scorer)
            best = min((improved, closer, best), key=lambda s: (abs(sum(c.words for c in s) - goal.target),
                                                                 scorer.cost(s)))
    return Selection(chosen=best, note=note, closest=proved)


def _ratio(a: float, b: float) -> float:
    return a / b if a >= b else b / a


def _shortlist(pool: list[Candidate], ideal: float) -> list[Candidate]:
    """The candidates worth considering for excerpts of about `ideal` words: the best of many
    different sources first (for balance and variety), then the best of the rest."""
    ranked = sorted(pool, key=lambda c: (_ratio(c.words, ideal) - W_FEATURED * c.featured, c.key))
    picked, seen = [], set()
    for c in ranked:
        if c.source not in seen and len(seen) < SHORTLIST_SOURCES:
            seen.add(c.source)
            picked.append(c)
    ids = {c.id for c in picked}
    for c in ranked:
        if len(picked) >= SHORTLIST:
            break
        if c.id not in ids:
            picked.append(c)
    return picked


def _constructions(pool: list[Candidate], goal: Goal, scorer: _Scorer, keep: int = 3) -> list[list[Candidate]]:
    """Greedy selections of each plausible size that pass the rules, best first."""
    found = []
    largest = min(len(pool), max(goal.need, MAX_EXCERPTS))
    for n in range(goal.need, largest + 1):
        ideal = goal.target / n
        if n > goal.need and ideal < 10:
            break                       # excerpts this short make a list of fragments
        chosen = _greedy(_shortlist(pool, ideal), n, ideal, goal)
        if chosen and scorer.valid(chosen):
            found.append(chosen)
    found.sort(key=scorer.cost)
    return found[:keep]


def _greedy(shortlist: list[Candidate], n: int, ideal: float, goal: Goal) -> list[Candidate] | None:
    chosen: list[Candidate] = []
    sources, chapters, sectors = set(), set(), set()
    quoted = 0
    for step in range(n):
        must_be_new = goal.need - len(sources) >= n - step
        best, best_key = None, None
        for c in shortlist:
            if any(c is d for d in chosen) or (must_be_new and c.source in sources):
                continue
            if goal.cap is not None and quoted + c.words > goal.cap:
                continue
            score = (_ratio(c.words, ideal) - W_FEATURED * c.featured
                     - W_CHAPTERS * (c.chapter not in chapters) - W_SECTORS * (c.sector not in sectors)
                     + W_VOICES * 2 * (c.source in sources))
            key = (score, c.key)
            if best_key is None or key < best_key:
                best, best_key = c, key
        if best is None:
            return None
        chosen.append(best)
        sources.add(best.source)
        chapters.add(best.chapter)
        sectors.add(best.sector)
        quoted += best.words
    return chosen


def _improve(chosen: list[Candidate], shortlist: list[Candidate], scorer: _Scorer) -> list[Candidate]:
    """Swap, add or remove one excerpt at a time while the selection stays valid and improves."""
    current, current_cost = list(chosen), scorer.cost(chosen)
    extra = _others(shortlist, current)
    for _ in range(IMPROVE_ROUNDS):
        best, best_cost = None, current_cost
        moves = [current[:i] + current[i + 1:] for i in range(len(current))]
        moves += [current + [c] for c in extra] if len(current) < MAX_EXCERPTS else []
        moves += [current[:i] + [c] + current[i + 1:] for i in range(len(current)) for c in extra]
        for move in moves:
            if not scorer.valid(move):
                continue
            cost = scorer.cost(move)
            if cost < best_cost:
                best, best_cost = move, cost
        if best is None:
            break
        current, current_cost = best, best_cost
        extra = _others(shortlist, current)
    return current


def _others(shortlist: list[Candidate], chosen: list[Candidate]) -> list[Candidate]:
    ids = {c.id for c in chosen}
    return [c for c in shortlist if c.id not in ids]


def _by_source(pool: list[Candidate]) -> dict[str, list[Candidate]]:
    """Each source's candidates, featured first: the order exact selections are built from."""
    by_source: dict[str, list[Candidate]] = {}
    for c in sorted(pool, key=lambda c: (not c.featured, c.key)):
        by_source.setdefault(c.source, []).append(c)
    return by_source


def _from_sums(by_source: dict[str, list[Candidate]], sums) -> list[Candidate]:
    chosen = []
    for items, words in zip(by_source.values(), sums):
        chosen += _subset_with(items, words)
    return chosen


def _closest(pool: list[Candidate], goal: Goal, miss: int) -> list[Candidate] | None:
    """The valid selection whose length is nearest the target, if one is nearer than `miss` words
    (None: none is). Raises `exact.SearchLimit` when that would take too long to know."""
    by_source = _by_source(pool)
    bound = goal.target + miss - 1
    if goal.cap is not None:
        bound = min(bound, goal.cap)
    sums = exact.closest_balanced([[c.words for c in items] for items in by_source.values()], goal.need,
                                  goal.limits, bound, goal.target)
    return _from_sums(by_source, sums) if sums is not None else None


def _exact_seed(pool: list[Candidate], goal: Goal) -> tuple[list[Candidate], str]:
    """A valid selection found by the exact search, or the `Refusal` that proves there is none."""
    by_source = _by_source(pool)
    groups = [[c.words for c in items] for items in by_source.values()]
    limits, need = goal.limits, goal.need
    try:
        balance = exact.most_balanced(groups, need)
        if balance is None or limits.dominates(balance.top_words, balance.total_words):
            raise _unbalanced(balance, limits, len(groups))
        bound = goal.cap if goal.cap is not None else 2 * goal.target
        sums = exact.closest_balanced(groups, need, limits, bound, goal.target)
        note = ""
        if sums is None and goal.cap is not None:
            shortest = exact.shortest_balanced(groups, need, limits, balance.total_words)
            raise Refusal("C15", f"every balanced selection is longer than a video may be: the shortest "
                                 f"quotes {shortest} words, and a video script is capped at {VIDEO_WORD_CAP}",
                          "draft for the site only with --media site, or code shorter excerpts")
        if sums is None:
            # Balanced selections exist, but all are longer than twice the target: take the shortest.
            sums = exact.closest_balanced(groups, need, limits, balance.total_words, goal.target)
            note = (f"every balanced selection is long: the shortest quotes {sum(sums)} words, "
                    f"more than twice the {goal.target} aimed at")
    except exact.SearchLimit as limit:
        raise Refusal("search", f"no quick selection passed the rules, and an exhaustive search is too large "
                                f"here ({limit})",
                      "narrow the material with --sub, --sector or --role, or use --media site") from None
    return _from_sums(by_source, sums), note


def _subset_with(items: list[Candidate], words: int) -> list[Candidate]:
    """Excerpts of one source adding up to exactly `words`, preferring the earlier ones (featured first)."""
    if words == 0:
        return []
    ways: dict[int, tuple[int, ...]] = {0: ()}
    for index, c in enumerate(items):
        for total, used in list(ways.items()):
            new = total + c.words
            if new <= words and new not in ways:
                ways[new] = used + (index,)
        if words in ways:
            break
    return [items[i] for i in ways[words]]


def _unbalanced(balance, limits: Limits, sources: int) -> Refusal:
    if balance is None:
        return Refusal("C4", f"only {sources} interviews qualify")
    share = balance.share
    return Refusal("C5", f"no selection keeps every interview within {limits.max_source_share * 100:.0f} % of the "
                         f"quoted words: the most balanced one there is still gives one interview "
                         f"{share * 100:.0f} % ({balance.top_words} of {balance.total_words} words)",
                   "code shorter excerpts from the longest accounts, or excerpts from more interviews")

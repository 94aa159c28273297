"""Exact answers for when the quick search finds nothing: is a balanced selection possible at all?

The rules that make this hard are C5 (no source supplies more than a share of
the quoted words) together with a length cap (a video's 750 words, C15). Each
source contributes some subset of its excerpts, so what matters about a source
is the set of word totals its excerpts can add up to: kept here as a Python
int used as a bitset (bit v set = some subset of its excerpts has v words).

The key fact (used by both functions): a selection is balanced exactly when
there is a ceiling M with every source's words at most M and M itself within
the share of the total. So, ceiling by ceiling:
- without a length cap, the best any selection can do under ceiling M is to
  take from every source the most words it can fit under M;
- with a cap, a small dynamic programme over sources finds which totals are
  reachable with enough sources, each under M.
Both are exact. Their cost grows with the number of distinct ceilings and
sources; `budget` bounds it, and `SearchLimit` says so honestly when spent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rules import Limits


class SearchLimit(Exception):
    """The exact search would take longer than its budget allows."""


@dataclass(frozen=True)
class Balance:
    """The most balanced selection there is: its largest source share, and one way to get it."""

    top_words: int              # words of the largest source in it
    total_words: int
    sums: tuple[int, ...]       # words taken from each source (0 = not used), in input order

    @property
    def share(self) -> float:
        return self.top_words / self.total_words if self.total_words else 1.0


def subset_sums(words: list[int], bound: int | None = None) -> int:
    """Bitset of every total a subset of `words` can make (bit 0: the empty subset)."""
    bits = 1
    mask = (1 << (bound + 1)) - 1 if bound is not None else None
    for w in words:
        bits |= bits << w
        if mask is not None:
            bits &= mask
    return bits


def _values(bits: int) -> np.ndarray:
    """The set bits of a bitset, ascending, without bit 0."""
    if bits <= 1:
        return np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    found = np.flatnonzero(np.unpackbits(raw, bitorder="little"))
    return found[found > 0].astype(np.int64)


def most_balanced(groups: list[list[int]], need: int, budget: int = 30_000_000) -> Balance | None:
    """The selection of `need` or more sources whose largest source share is smallest (no length cap).

    `groups`: each source's excerpt lengths. None when fewer than `need` sources have any excerpt.
    """
    per_source = [_values(subset_sums(g)) for g in groups]
    ceilings = np.unique(np.concatenate(per_source)) if per_source else np.zeros(0, dtype=np.int64)
    if len(ceilings) * max(len(per_source), 1) > budget:
        raise SearchLimit(f"{len(per_source)} sources with {len(ceilings)} possible totals")
    total = np.zeros(len(ceilings), dtype=np.int64)
    top = np.zeros(len(ceilings), dtype=np.int64)
    count = np.zeros(len(ceilings), dtype=np.int64)
    for sums in per_source:
        if not len(sums):
            continue
        at = np.searchsorted(sums, ceilings, side="right") - 1
        best = np.where(at >= 0, sums[np.maximum(at, 0)], 0)
        total += best
        np.maximum(top, best, out=top)
        count += best > 0
    usable = np.flatnonzero(count >= need)
    if not len(usable):
        return None
    # Smallest top/total; ties go to the smaller total (the shorter story), then the lower ceiling.
    order = sorted(usable, key=lambda i: (top[i] * 1.0 / total[i], total[i], i))
    ceiling = int(ceilings[order[0]])
    sums = []
    for values in per_source:
        at = np.searchsorted(values, ceiling, side="right") - 1
        sums.append(int(values[at]) if at >= 0 and len(values) else 0)
    return Balance(top_words=max(sums), total_words=sum(sums), sums=tuple(sums))


def closest_balanced(groups: list[list[int]], need: int, limits: Limits, bound: int, target: int,
                     budget: int = 4_000_000) -> tuple[int, ...] | None:
    """Words to take from each source for a balanced selection of at most `bound` words whose
    total is as close to `target` as any can be; None when no balanced selection fits under `bound`."""
    source_bits = [subset_sums(g, bound) & ~1 for g in groups]
    all_values = sorted(set().union(*(set(_values(b).tolist()) for b in source_bits))) if groups else []
    work = 0
    best: tuple | None = None           # (distance, total, ceiling)
    for ceiling in all_values:
        shortest = _shortest_total(limits, ceiling)
        if shortest > bound or (best is not None and shortest - target > best[0]):
            break                       # larger ceilings need even longer totals
        under = (1 << (ceiling + 1)) - 1
        options = [bits & under for bits in source_bits]
        if sum(1 for o in options if o) < need:
            continue
        if sum(o.bit_length() - 1 for o in options if o) < shortest:
            continue                    # even every source at its fullest cannot reach a balanced total
        work += sum(bin(o).count("1") for o in options) * (need + 1)
        if work > budget:
            raise SearchLimit(f"{len(groups)} sources, ceilings up to {ceiling} words")
        reach = _reachable(options, need, bound)[-1][need]
        for total in _bits_in(reach, shortest, bound):
            key = (abs(total - target), total, ceiling)
            if best is None or key < best:
                best = key
        if best is not None and best[0] == 0:
            break                       # exactly the target: no later ceiling can do better
    if best is None:
        return None
    _, total, ceiling = best
    under = (1 << (ceiling + 1)) - 1
    options = [bits & under for bits in source_bits]
    return _trace(options, _reachable(options, need, bound), need, total)


def shortest_balanced(groups: list[list[int]], need: int, limits: Limits, bound: int) -> int | None:
    """The fewest words any balanced selection can have, if one has at most `bound` words."""
    found = closest_balanced(groups, need, limits, bound, target=0)
    return sum(found) if found is not None else None


def _shortest_total(limits: Limits, ceiling: int) -> int:
    """The smallest total in which a source with `ceiling` words stays within its share (C5)."""
    total = max(ceiling, int(ceiling / limits.max_source_share) - 1)
    while limits.dominates(ceiling, total):
        total += 1
    return total


def _reachable(options: list[int], need: int, bound: int) -> list[list[int]]:
    """After each source: for j sources used (j = need means `need` or more), the bitset of totals."""
    mask = (1 << (bound + 1)) - 1
    state = [1] + [0] * need
    history = [state]
    for opts in options:
        new = list(state)
        values = _set_bits(opts)
        for j in range(need + 1):
            if not state[j]:
                continue
            to = min(j + 1, need)
            for v in values:
                new[to] |= (state[j] << v) & mask
        state = new
        history.append(state)
    return history


def _trace(options: list[int], history: list[list[int]], need: int, total: int) -> tuple[int, ...]:
    """Walk the states back from (`need` sources, `total` words): the words taken from each source."""
    taken = [0] * len(options)
    j, left = need, total
    for index in range(len(options) - 1, -1, -1):
        before = history[index]
        if before[j] >> left & 1:
            continue                    # reachable without this source
        earlier = (j - 1,) if j < need else (need - 1, need)
        for v in _set_bits(options[index]):
            if v > left:
                break
            hit = next((k for k in earlier if k >= 0 and before[k] >> (left - v) & 1), None)
            if hit is not None:
                taken[index], j, left = v, hit, left - v
                break
        else:
            raise AssertionError("a reachable total has no way back")     # pragma: no cover
    return tuple(taken)


def _set_bits(bits: int) -> list[int]:
    out, position = [], 0
    while bits:
        low = bits & -bits
        position = low.bit_length() - 1
        out.append(position)
        bits ^= low
    return out


def _bits_in(bits: int, low: int, high: int):
    window = (bits >> low) & ((1 << (high - low + 1)) - 1)
    return [low + v for v in _set_bits(window)]

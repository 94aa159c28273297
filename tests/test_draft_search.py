"""The draft search against a brute-force oracle: it finds a selection exactly when one exists.

Random pools, small enough to enumerate every subset. Whenever some selection
satisfies C4/C11 (sources), C5 (share) and, for video, C15 (the cap), `choose`
must return one that does; otherwise it must refuse, naming the rule that binds.
"""
import itertools
import os

from hypothesis import given, settings, strategies as st

from storygen.compose.draft import exact
from storygen.compose.draft.pool import Candidate
from storygen.compose.draft.search import Goal, Refusal, choose
from storygen.compose.rules import VIDEO_WORD_CAP, Limits

LIMITS = Limits(min_sources=3, max_source_share=0.4, max_bridge_share=0.2, min_theme_sources=2,
                homogeneous_role=True, no_reuse=True)
LENGTHS = st.sampled_from([4, 9, 15, 30, 45, 70, 90, 130, 200, 290, 310, 420, 800])


def candidate(i, source, words, featured=False, chapter="care/listening", sector="health"):
    return Candidate(id=f"E{i}", source=source, words=words, featured=featured, chapter=chapter, order=i,
                     sector=sector, role="community", key=("E", i, ""))


@st.composite
def pools(draw):
    sources = draw(st.integers(2, 5))
    items = []
    for s in range(sources):
        for _ in range(draw(st.integers(1, 3))):
            items.append((f"S{s}", draw(LENGTHS), draw(st.booleans()),
                          draw(st.sampled_from(["care/listening", "care/waiting", "care/money"]))))
    items = items[:11]
    return [candidate(i, s, w, f, ch) for i, (s, w, f, ch) in enumerate(items)]


def oracle(pool, cap):
    """Every total of a valid selection, and the smallest largest-share of any selection of 3+ sources."""
    totals, best_share = set(), None
    for r in range(1, len(pool) + 1):
        for combo in itertools.combinations(pool, r):
            per = {}
            for c in combo:
                per[c.source] = per.get(c.source, 0) + c.words
            if len(per) < 3:
                continue
            quoted = sum(per.values())
            share = max(per.values()) / quoted
            best_share = share if best_share is None else min(best_share, share)
            if any(w / quoted > 0.4 for w in per.values()):
                continue
            if cap is None or quoted <= cap:
                totals.add(quoted)
    return totals, best_share


def valid(chosen, cap):
    per = {}
    for c in chosen:
        per[c.source] = per.get(c.source, 0) + c.words
    quoted = sum(per.values())
    return len(per) >= 3 and all(w / quoted <= 0.4 for w in per.values()) and (cap is None or quoted <= cap) \
        and len({c.id for c in chosen}) == len(chosen)


@settings(max_examples=int(os.environ.get("FUZZ", 300)), deadline=None)
@given(pool=pools(), video=st.booleans(), target=st.sampled_from([60, 200, 360, 675]))
def test_choose_finds_a_selection_exactly_when_one_exists(pool, video, target):
    cap = VIDEO_WORD_CAP if video else None
    totals, best_share = oracle(pool, cap)
    goal = Goal(limits=LIMITS, need=3, target=target, cap=cap)
    try:
        selection = choose(pool, goal)
    except Refusal as refusal:
        assert not totals, f"refused ({refusal.message}) but {sorted(totals)[:5]} are possible"
        if best_share is None:
            assert refusal.rule == "C4"
        elif best_share > 0.4:
            assert refusal.rule == "C5"
            assert f"{best_share * 100:.0f} %" in refusal.message
        else:
            assert refusal.rule == "C15" and video
            shortest = min(oracle(pool, None)[0])
            assert f"the shortest quotes {shortest} words" in refusal.message
        return
    assert totals, "chose a selection where the oracle finds none"
    assert valid(selection.chosen, cap)
    # Not necessarily the closest total there is (length is one preference among several), but close to it.
    closest = min(abs(t - target) for t in totals)
    assert abs(selection.quoted - target) <= closest + max(target / 4, closest / 10), (selection.quoted, closest)
    if selection.closest:           # the draft will say "the closest the rules allow": it must be
        assert abs(selection.quoted - target) == closest


def test_choose_is_deterministic_and_prefers_featured_comparable_lengths():
    pool = [candidate(i, f"S{i}", w, featured=(i in (3, 5))) for i, w in
            enumerate([1800, 60, 75, 70, 64, 90, 12, 400, 68, 71])]
    goal = Goal(limits=LIMITS, need=3, target=360, cap=VIDEO_WORD_CAP)
    first = choose(pool, goal)
    assert [c.id for c in choose(list(reversed(pool)), goal).chosen] == [c.id for c in first.chosen]
    ids = {c.id for c in first.chosen}
    assert {"E3", "E5"} <= ids                       # featured, and of a fitting length
    assert not ids & {"E0", "E6", "E7"}               # far too long or too short beside the rest
    assert 300 <= first.quoted <= 420


def test_feedback_shaped_pool_where_id_order_starts_with_a_long_comment():
    """Issue 17: one comment per person, the first ones long. A balanced selection plainly exists."""
    lengths = [229, 410, 35, 60, 48, 1784, 70, 66, 12, 95, 81, 57]
    pool = [candidate(i, f"P{i:03d}", w) for i, w in enumerate(lengths)]
    selection = choose(pool, Goal(limits=LIMITS, need=3, target=360, cap=VIDEO_WORD_CAP))
    assert valid(selection.chosen, VIDEO_WORD_CAP)
    assert len({c.source for c in selection.chosen}) >= 3


def test_exact_functions_agree_with_enumeration_on_a_tricky_pool():
    # One long account beside two sources of many short excerpts: balanced only with several excerpts each.
    groups = [[100], [10] * 10, [10] * 10]
    balance = exact.most_balanced(groups, 3)
    assert balance.share <= 0.4
    sums = exact.closest_balanced(groups, 3, LIMITS, VIDEO_WORD_CAP, 300)
    assert sums[0] == 100 and sum(sums) == 300
    assert exact.most_balanced([[100], [10], [10]], 3).share == 100 / 120

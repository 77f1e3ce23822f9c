"""The compact inverted index of `bot.dedup`: postings found as a dict of lists finds them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dedup_index import Postings


def _reference(posted: list[tuple[list[int], int]], keys: list[int], budget: int) -> list[int]:
    """Rarest keys first (ties in query order), whole keys while the postings read stay
    under `budget` (at least one key), each key's ids in the order they were posted."""
    table: dict[int, list[int]] = {}
    for ks, sid in posted:
        for k in ks:
            table.setdefault(k, []).append(sid)
    counts = [len(table.get(k, [])) for k in keys]
    order = [i for i in sorted(range(len(keys)), key=lambda i: counts[i]) if counts[i]]
    taken, total = [], 0
    for i in order:
        if taken and total + counts[i] >= budget:
            break
        taken.append(i)
        total += counts[i]
    return [sid for i in taken for sid in table[keys[i]]]


@settings(max_examples=300, deadline=None)
@given(
    posted=st.lists(
        st.lists(st.integers(0, 40), min_size=0, max_size=12, unique=True), max_size=30
    ),
    merged=st.integers(0, 30),
    keys=st.lists(st.integers(0, 45), max_size=20, unique=True),
    budget=st.integers(1, 60),
)
def test_lookup_finds_what_a_dict_of_lists_finds(
    posted: list[list[int]], merged: int, keys: list[int], budget: int
) -> None:
    postings = Postings(np.uint32)
    for sid, ks in enumerate(posted):
        postings.add(np.array(sorted(ks), np.uint32), sid)
        if sid + 1 == merged:
            postings.merge()  # the rest stays in the recent buffer
    found = postings.lookup(np.array(keys, np.uint32), budget).tolist()
    want = _reference([(ks, sid) for sid, ks in enumerate(posted)], keys, budget)
    assert sorted(found) == sorted(want)

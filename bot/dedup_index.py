"""A compact inverted index from hashed shingles to story ids, for `bot.dedup`.

Postings live in two sorted numpy arrays (keys, ids): 8 bytes per posting for 32-bit keys,
12 for 64-bit keys, instead of ~100 bytes per entry in a dict of Python sets. Recent additions
go to a small dict and are merged in bulk (np.searchsorted + np.insert, an O(n) copy) once
they exceed 1/64 of the sorted part, so each `add` costs amortised O(1) copies and a lookup
is a binary search per query key: the cost of a check grows with log(window), not with it.

`lookup` reads the rarest query keys first and stops after `budget` postings, so a shingle
every story shares (boilerplate, a template sentence) cannot flood the candidate list.
Evicted ids are dropped lazily: callers filter with their `alive` mask, `merge` compacts.
"""

from __future__ import annotations

import numpy as np

MERGE_MIN = 16_384  # postings buffered before a merge


class Postings:
    def __init__(self, dtype: type[np.unsignedinteger]) -> None:
        self.dtype = dtype
        self.keys = np.empty(0, dtype)
        self.ids = np.empty(0, np.int32)
        self.delta: dict[int, list[int]] = {}
        self.bulk: list[tuple[np.ndarray, int]] = []  # bulk loads, not yet searchable
        self.pending = 0

    def __len__(self) -> int:
        return len(self.keys) + self.pending

    def add(self, keys: np.ndarray, sid: int, merge: bool = True) -> None:
        """Post `keys` for `sid`; with merge=False (a bulk load) they are searchable only
        after the next `merge()`."""
        if not merge:
            self.bulk.append((keys, sid))
            self.pending += len(keys)
            return
        delta = self.delta
        for key in keys.tolist():
            bucket = delta.get(key)
            if bucket is None:
                delta[key] = [sid]
            else:
                bucket.append(sid)
        self.pending += len(keys)
        if self.pending >= max(MERGE_MIN, len(self.keys) // 64):
            self.merge()

    def merge(self, alive: np.ndarray | None = None) -> None:
        """Fold the recent additions into the sorted arrays (and drop dead ids when given)."""
        if alive is not None:
            live = alive[self.ids]
            self.keys, self.ids = self.keys[live], self.ids[live]
        if not self.pending:
            return
        keys = np.concatenate(
            [
                np.fromiter((k for k, b in self.delta.items() for _ in b), self.dtype),
                *(k.astype(self.dtype) for k, _ in self.bulk),
            ]
        )
        ids = np.concatenate(
            [
                np.fromiter((i for b in self.delta.values() for i in b), np.int32),
                *(np.full(len(k), sid, np.int32) for k, sid in self.bulk),
            ]
        )
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
        if alive is not None:
            live = alive[ids]
            keys, ids = keys[live], ids[live]
        where = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, where, keys)
        self.ids = np.insert(self.ids, where, ids)
        self.delta, self.bulk, self.pending = {}, [], 0

    def get(self, key: int) -> list[int]:
        """Every id posted under one key (exact-identity lookups)."""
        probe = self.dtype(key)
        left = int(self.keys.searchsorted(probe))
        if left == len(self.keys) or self.keys[left] != probe:  # the usual case: absent
            return self.delta.get(key, [])[:]
        right = int(self.keys.searchsorted(probe, "right"))
        return self.ids[left:right].tolist() + self.delta.get(key, [])

    def lookup(self, keys: np.ndarray, budget: int) -> np.ndarray:
        """Ids posted under `keys`, rarest keys first, about `budget` postings at most."""
        left = np.searchsorted(self.keys, keys)
        right = np.searchsorted(self.keys, keys, "right")
        counts = right - left
        recent: list[list[int] | None] = []
        if self.delta:
            recent = [self.delta.get(k) for k in keys.tolist()]
            counts = counts + np.fromiter((len(b) if b else 0 for b in recent), np.int64, len(keys))
        order = np.argsort(counts, kind="stable")
        order = order[counts[order] > 0]
        take = order[: max(1, int(np.searchsorted(np.cumsum(counts[order]), budget)))]
        starts, lengths = left[take], right[take] - left[take]
        # the postings ranges of the keys taken, in that order, gathered in one indexing
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        found = self.ids[np.repeat(starts - ends + lengths, lengths) + np.arange(total)]
        if recent:
            extra = [i for j in take.tolist() for i in (recent[j] or ())]
            found = np.concatenate([found, np.array(extra, np.int32)])
        return found

    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.ids.nbytes)

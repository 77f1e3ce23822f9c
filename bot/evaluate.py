"""Measure the classifier: per-tag precision/recall/F1 and confusions, and feedback agreement.

Pure functions returning data; `hubnews eval` formats and prints them.

    load_devset(folder, corpus=None, split=None) -> list[Labelled]   (tests/classify_devset)
    evaluate(items, taxonomy, tags=None, thresholds=None) -> Report
    feedback_agreement(rows, story_tags) -> FeedbackReport

A dev-set folder holds `devset.jsonl` (title, text, labels, origin, split: text we may ship) and
optionally `references.jsonl` (file, index, labels, split: items of feeds whose licence forbids
copying; read from the shared corpus when it is there, otherwise listed in `skipped`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.classify import Taxonomy, classify
from bot.story import Source, Story

DEFAULT_TAGS = ("ai", "industrial-policy")


@dataclass(frozen=True, slots=True)
class Labelled:
    id: str
    story: Story
    labels: frozenset[str]
    split: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Confusion:
    id: str
    title: str
    score: float  # the tag's score when predicted (false positive), else 0
    evidence: tuple[str, ...] = ()  # "text (rule, where)" of the strongest evidence


@dataclass(frozen=True, slots=True)
class TagReport:
    tag: str
    tp: int
    fp: int
    fn: int
    tn: int
    false_positives: tuple[Confusion, ...] = ()
    false_negatives: tuple[Confusion, ...] = ()

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass(frozen=True, slots=True)
class Report:
    items: int
    tags: Mapping[str, TagReport]
    skipped: tuple[str, ...] = ()

    @property
    def macro_f1(self) -> float:
        return sum(t.f1 for t in self.tags.values()) / len(self.tags) if self.tags else 0.0


def story_from_text(title: str, text: str, key: str = "", feed: str = "devset") -> Story:
    return Story(
        key=key or title,
        url="",
        title=title,
        source=Source(feed=feed, title=feed, domain=""),
        published=None,
        description=text,
    )


def load_devset(
    folder: Path, corpus: Path | None = None, split: str | None = None
) -> tuple[list[Labelled], tuple[str, ...]]:
    """Labelled items of a dev-set folder (optionally one split), and why any were skipped."""
    items: list[Labelled] = []
    skipped: list[str] = []
    for row in _rows(folder / "devset.jsonl"):
        items.append(_labelled(row, row["title"], row["text"]))
    ref_file = folder / "references.jsonl"
    refs = list(_rows(ref_file)) if ref_file.exists() else []
    if refs and (corpus is None or not corpus.is_dir()):
        skipped.append(f"{len(refs)} referenced items: corpus folder {corpus} is absent")
        refs = []
    entries: dict[str, list[Any]] = {}
    for row in refs:
        path = corpus / row["file"]
        if row["file"] not in entries:
            entries[row["file"]] = _feed_entries(path)
        feed_items = entries[row["file"]]
        if row["index"] >= len(feed_items):
            skipped.append(f"{row['id']}: {path} has no item {row['index']}")
            continue
        title, text = feed_items[row["index"]]
        items.append(_labelled(row, title, text))
    if split is not None:
        items = [i for i in items if i.split == split]
    return items, tuple(skipped)


def _labelled(row: dict[str, Any], title: str, text: str) -> Labelled:
    return Labelled(
        row["id"],
        story_from_text(title, text, row["id"]),
        frozenset(row["labels"]),
        row.get("split", ""),
        row.get("origin", ""),
    )


def _rows(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _feed_entries(path: Path) -> list[Any]:
    import feedparser  # only needed for referenced items

    from bot.htmltext import to_text

    if not path.is_file():
        return []
    parsed = feedparser.parse(path.read_bytes())
    return [(to_text(e.get("title", "")), to_text(e.get("summary", ""))) for e in parsed.entries]


def evaluate(
    items: Iterable[Labelled],
    taxonomy: Taxonomy,
    tags: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Report:
    """Classify every item and compare with its labels, tag by tag."""
    wanted = tuple(tags or DEFAULT_TAGS)
    counts = {t: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for t in wanted}
    fps: dict[str, list[Confusion]] = defaultdict(list)
    fns: dict[str, list[Confusion]] = defaultdict(list)
    n = 0
    for item in items:
        n += 1
        predicted = {t.id: t for t in classify(item.story, taxonomy, thresholds)}
        for tag in wanted:
            got, want = tag in predicted, tag in item.labels
            counts[tag][("t" if got == want else "f") + ("p" if got else "n")] += 1
            if got and not want:
                found = predicted[tag]
                fps[tag].append(
                    Confusion(
                        item.id,
                        item.story.title,
                        found.score,
                        tuple(f"{e.text} ({e.rule}, {e.where})" for e in found.evidence[:3]),
                    )
                )
            elif want and not got:
                fns[tag].append(Confusion(item.id, item.story.title, 0.0))
    return Report(
        n,
        {
            t: TagReport(t, **c, false_positives=tuple(fps[t]), false_negatives=tuple(fns[t]))
            for t, c in counts.items()
        },
    )


# ---------------------------------------------------------------- feedback


@dataclass(frozen=True, slots=True)
class TagAgreement:
    tag: str
    verdicts: int  # latest verdict per (story, tag, user)
    agree: int  # "relevant" on a tagged story, "not_relevant" on an untagged one
    relevant_on_tagged: int
    not_relevant_on_tagged: int
    relevant_on_untagged: int  # the team wanted the tag but the classifier did not give it
    disputed: tuple[str, ...] = ()  # story keys with verdicts contradicting the tags

    @property
    def agreement(self) -> float:
        return self.agree / self.verdicts if self.verdicts else 0.0


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    verdicts: int
    tags: Mapping[str, TagAgreement] = field(default_factory=dict)
    ignored: int = 0  # rows with an unknown verdict

    @property
    def agreement(self) -> float:
        agree = sum(t.agree for t in self.tags.values())
        return agree / self.verdicts if self.verdicts else 0.0


Row = tuple[str, str, str, str, "datetime | str"]  # (story_key, tag, verdict, user, time)


def feedback_agreement(
    rows: Iterable[Row], story_tags: Mapping[str, Iterable[str]]
) -> FeedbackReport:
    """How often the team's 👍/👎 verdicts agree with the tags the stories carry."""
    latest: dict[tuple[str, str, str], tuple[str, str]] = {}
    ignored = 0
    for story_key, tag, verdict, user, time in rows:
        if verdict not in {"relevant", "not_relevant"}:
            ignored += 1
            continue
        key, stamp = (story_key, tag, user), _stamp(time)
        if key not in latest or stamp >= latest[key][1]:
            latest[key] = (verdict, stamp)
    tagged = {k: set(v) for k, v in story_tags.items()}
    per_tag: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    disputed: dict[str, set[str]] = defaultdict(set)
    for (story_key, tag, _user), (verdict, _when) in latest.items():
        has = tag in tagged.get(story_key, set())
        counts = per_tag[tag]
        counts["verdicts"] += 1
        relevant = verdict == "relevant"
        counts["agree"] += relevant == has
        if has:
            counts["relevant_on_tagged" if relevant else "not_relevant_on_tagged"] += 1
        elif relevant:
            counts["relevant_on_untagged"] += 1
        if relevant != has:
            disputed[tag].add(story_key)
    tags = {
        tag: TagAgreement(
            tag,
            c["verdicts"],
            c["agree"],
            c["relevant_on_tagged"],
            c["not_relevant_on_tagged"],
            c["relevant_on_untagged"],
            tuple(sorted(disputed[tag])),
        )
        for tag, c in per_tag.items()
    }
    return FeedbackReport(len(latest), tags, ignored)


def _stamp(time: datetime | str) -> str:
    return time.isoformat() if isinstance(time, datetime) else str(time)

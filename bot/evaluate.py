"""Measure the classifier: per-tag precision/recall/F1 and confusions, and feedback agreement.

Pure functions returning data; `hubnews eval` formats and prints them.

    load_devset(folder, corpus=None, split=None) -> list[Labelled]   (tests/classify_devset)
    load_web(corpus, split_file, split=None) -> list[Labelled]         (corpus/web, real news)
    evaluate(items, taxonomy, tags=None, thresholds=None) -> Report    (tags: the taxonomy's)
    by_language(items, taxonomy, ...) -> {"all"|"en"|"non-en"|lang: Report}
    feedback_agreement(rows, story_tags) -> FeedbackReport

The web set (../shared/corpus/web/labelled-web.jsonl: 402 real news items in 10 languages,
third-party text read in place, never copied) is split ONCE into `train` and a locked `test`
(tests/classify_devset/web-split.json, ids only; rule: per language, ids ordered by sha1, the first
half train). Rules are tuned on `train` only; `test` is scored once per change and that score is
the figure reported; nothing is ever tuned on `test`.

A dev-set folder holds `devset.jsonl` (title, text, labels, origin, split: text we may ship) and
optionally `references.jsonl` (file, index, labels, split: items of feeds whose licence forbids
copying; read from the shared corpus when it is there, otherwise listed in `skipped`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.classify import Taxonomy, classify
from bot.story import Source, Story, Tag

DEFAULT_TAGS = ("ai", "industrial-policy")  # the pair the original dev set labels
WEB_SET = "web/labelled-web.jsonl"  # under the shared corpus folder
WEB_SPLIT = Path(__file__).resolve().parents[1] / "tests" / "classify_devset" / "web-split.json"


@dataclass(frozen=True, slots=True)
class Labelled:
    id: str
    story: Story
    labels: frozenset[str]
    split: str = ""
    origin: str = ""
    lang: str = "en"


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

    @property
    def seen(self) -> bool:
        """Labelled or predicted at least once (otherwise F1 is undefined)."""
        return self.tp + self.fp + self.fn > 0


@dataclass(frozen=True, slots=True)
class Report:
    items: int
    tags: Mapping[str, TagReport]
    skipped: tuple[str, ...] = ()

    @property
    def macro_f1(self) -> float:
        return self.macro_over(self.tags)

    def macro_over(self, tags: Iterable[str]) -> float:
        """Macro-F1 over some of the tags (e.g. the issue's pair: ai + industrial-policy); a tag
        neither labelled nor predicted in these items (F1 undefined) is left out."""
        chosen = [self.tags[t].f1 for t in tags if t in self.tags and self.tags[t].seen]
        return sum(chosen) / len(chosen) if chosen else 0.0


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


def web_split(ids_by_lang: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The train/test rule, applied once to write web-split.json: per language, ids ordered by
    sha1(id), the first ceil(n/2) train and the rest test (stratified by language, ~50/50)."""
    out: dict[str, list[str]] = {"train": [], "test": []}
    for lang in sorted(ids_by_lang):
        ids = sorted(ids_by_lang[lang], key=lambda i: hashlib.sha1(i.encode()).hexdigest())
        half = (len(ids) + 1) // 2
        out["train"] += ids[:half]
        out["test"] += ids[half:]
    return {k: sorted(v) for k, v in out.items()}


def load_web(
    corpus: Path, split: str | None = None, split_file: Path = WEB_SPLIT
) -> tuple[list[Labelled], tuple[str, ...]]:
    """Items of the real-text web set (read in place from the corpus), optionally one split."""
    path = corpus / WEB_SET
    if not path.is_file():
        return [], (f"the web set {path} is absent",)
    splits = json.loads(split_file.read_text(encoding="utf-8"))
    where = {i: name for name in ("train", "test") for i in splits[name]}
    items = []
    for row in _rows(path):
        story = story_from_text(row["title"], row["summary"], row["id"], row.get("source", "web"))
        labelled = Labelled(
            row["id"], story, frozenset(row["tags"]), where.get(row["id"], ""), "web", row["lang"]
        )
        if split is None or labelled.split == split:
            items.append(labelled)
    return items, ()


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
    """Classify every item and compare with its labels, tag by tag (default: every tag of the
    taxonomy)."""
    items = list(items)
    predictions = [{t.id: t for t in classify(item.story, taxonomy, thresholds)} for item in items]
    return _score(items, predictions, tuple(tags or taxonomy.tags))


def by_language(
    items: Iterable[Labelled],
    taxonomy: Taxonomy,
    tags: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> dict[str, Report]:
    """Reports for all items, English, non-English and each language (each item classified once)."""
    items = list(items)
    predictions = [{t.id: t for t in classify(item.story, taxonomy, thresholds)} for item in items]
    wanted = tuple(tags or taxonomy.tags)
    slices: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        slices["all"].append(k)
        slices["en" if item.lang == "en" else "non-en"].append(k)
    for k, item in enumerate(items):
        if item.lang != "en":
            slices[item.lang].append(k)
    return {
        name: _score([items[k] for k in ks], [predictions[k] for k in ks], wanted)
        for name, ks in slices.items()
    }


def _score(
    items: Sequence[Labelled], predictions: Sequence[Mapping[str, Tag]], wanted: tuple[str, ...]
) -> Report:
    counts = {t: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for t in wanted}
    fps: dict[str, list[Confusion]] = defaultdict(list)
    fns: dict[str, list[Confusion]] = defaultdict(list)
    n = 0
    for item, predicted in zip(items, predictions, strict=True):
        n += 1
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

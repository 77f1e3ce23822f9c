"""Import an OPML subscription list into the store: the logic behind `hubnews feeds import`
(and, with a guarded fetch, the Slack import).

`import_opml(data, store, fetch_feed, ...)` reads the list (`bot.opml.read_opml`, which raises
`OpmlError`), then for each feed in document order:
    skipped    not an http(s) address (local paths only with `allow_local`), already known
               (configured, or stored from Slack/CLI/an earlier import: compared by canonical
               URL), or a duplicate of an earlier outline in the same file (its categories merge)
    failed     one fetch + parse (the same `parse` as polling) raised a `HubnewsError`: not added
    added      stored with origin "opml" under a name from its title (collisions get -2, -3...),
               so the running bot's sync job schedules it like a feed added from Slack
Validation fetches run in parallel, at most `concurrency` at once (and `limits.per_host` per
host, inside `fetch`). `dry_run` validates and reports but writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import Feed
from bot.errors import HubnewsError
from bot.fetch import Fetched
from bot.opml import Outline, read_opml
from bot.parse import parse
from bot.store import StoreAPI
from bot.urls import canonical_url, domain

FetchFeed = Callable[[str], Fetched]


@dataclass(frozen=True, slots=True)
class Added:
    name: str
    url: str
    title: str
    items: int
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Skipped:
    url: str
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    url: str
    title: str
    error: str
    hint: str


@dataclass
class ImportReport:
    outlines: int = 0
    dry_run: bool = False
    added: list[Added] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)


def import_opml(
    data: bytes,
    store: StoreAPI,
    fetch_feed: FetchFeed,
    *,
    configured: Sequence[Feed] = (),
    source: str = "the OPML file",
    added_by: str | None = None,
    allow_local: bool = False,
    base: Path | None = None,
    dry_run: bool = False,
    concurrency: int = 8,
    progress: Callable[[int, int], object] | None = None,
) -> ImportReport:
    """Read, fold, validate and add the feeds of an OPML file (see the module docstring)."""
    outlines = read_opml(data, source=source)
    report = ImportReport(outlines=len(outlines), dry_run=dry_run)
    known = {_key(f.url, base): f"already configured as {f.name}" for f in configured}
    for status in store.feeds():
        known.setdefault(
            _key(status.url, base), f"already added as {status.name} ({status.origin})"
        )
    fresh: dict[str, tuple[str, Outline, list[str]]] = {}  # key -> (address, outline, categories)
    for outline in outlines:
        address = _address(outline.xml_url, base, allow_local)
        key = _key(address, base) if address else ""
        if not address:
            report.skipped.append(Skipped(outline.xml_url, outline.title, _NOT_HTTP))
        elif key in known:
            report.skipped.append(Skipped(outline.xml_url, outline.title, known[key]))
        elif key in fresh:
            first = fresh[key][1]
            fresh[key][2].extend(outline.categories)
            reason = f"duplicate in the file of {first.title or first.xml_url!r}"
            report.skipped.append(Skipped(outline.xml_url, outline.title, reason))
        else:
            fresh[key] = (address, outline, list(outline.categories))
    checked = _validate(
        [address for address, _, _ in fresh.values()], fetch_feed, concurrency, progress
    )
    names = {f.name for f in configured} | {s.name for s in store.feeds()}
    for address, outline, categories in fresh.values():
        result = checked[address]
        if isinstance(result, HubnewsError):
            report.failed.append(Failed(address, outline.title, result.message, result.hint))
            continue
        title, items = result
        name = _name(outline.title or title, address, names)
        kept = tuple(dict.fromkeys(categories))
        while not dry_run and not store.add_feed(
            name, address, origin="opml", added_by=added_by, categories=kept
        ):
            names.add(name)  # taken since we looked (a concurrent add): next suffix
            name = _name(outline.title or title, address, names)
        names.add(name)
        report.added.append(Added(name, address, outline.title or title, items, kept))
    return report


_NOT_HTTP = "not an http(s) address"


def _validate(
    addresses: list[str],
    fetch_feed: FetchFeed,
    concurrency: int,
    progress: Callable[[int, int], object] | None,
) -> dict[str, tuple[str, int] | HubnewsError]:
    def check(address: str) -> tuple[str, int] | HubnewsError:
        try:
            parsed = parse(fetch_feed(address), address, address)
        except HubnewsError as exc:
            return exc
        return parsed.title, len(parsed.stories)

    results: dict[str, tuple[str, int] | HubnewsError] = {}
    if not addresses:
        return results
    with ThreadPoolExecutor(max(1, min(concurrency, len(addresses)))) as pool:
        futures = {pool.submit(check, address): address for address in addresses}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(addresses))
    return results


def _address(url: str, base: Path | None, allow_local: bool) -> str:
    """The address to fetch: an http(s) URL as given, or (allow_local) an absolute path."""
    if url.startswith(("http://", "https://")):
        return url
    if not allow_local or ("://" in url and not url.startswith("file://")):
        return ""
    path = Path(unquote(urlsplit(url).path) if url.startswith("file://") else url).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return str(path.resolve())


def _key(address: str, base: Path | None) -> str:
    """Addresses that name the same feed compare equal (canonical URL, resolved path)."""
    return canonical_url(address) or "file:" + _address(address, base, allow_local=True)


def _name(title: str, address: str, taken: set[str]) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50]
    if not stem:
        path = re.sub(r"[^a-z0-9]+", "-", urlsplit(address).path.lower()).strip("-")
        stem = "-".join(part for part in (domain(address), path) if part)[:50] or "feed"
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}"
    return name

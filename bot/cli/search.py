"""`hubnews search`: the engine behind /hubnews, printed for people or as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.common import OK, err, load_config, out, safe
from bot.query import parse_query
from bot.store import Hit, open_store
from bot.store.sqlite.search import MARK_END, MARK_START

# ---------------------------------------------------------------- search


def cmd_search(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    text = " ".join(args.query)
    query = parse_query(text)
    store = open_store(cfg.database)
    try:
        hits = store.search(query, limit=max(1, args.limit))
        suggestions = [] if hits else [s for w in query.words if (s := store.suggest(w))]
    finally:
        store.close()
    if args.json:
        for hit in hits:
            sys.stdout.write(json.dumps(hit_json(hit), ensure_ascii=False) + "\n")
        return OK
    for note in query.notes:
        err.print(f"[yellow]note:[/] {safe(note)}")
    print_hits(text, hits, suggestions)
    return OK


def hit_json(hit: Hit) -> dict[str, Any]:
    story = hit.story
    return {
        "key": story.key,
        "url": story.url,
        "title": story.title,
        "source": story.source.title,
        "domain": story.source.domain,
        "published": story.published.strftime("%Y-%m-%dT%H:%M:%SZ") if story.published else None,
        "tags": story.tag_ids,
        "sources": hit.sources,
        "snippet": hit.snippet.replace(MARK_START, "").replace(MARK_END, ""),
        "rank": hit.rank,
    }


def print_hits(text: str, hits: list[Hit], suggestions: list[str]) -> None:
    if not hits:
        out.print(f"No stories match [bold]{safe(text)}[/].")
        if suggestions:
            out.print(f"Did you mean [bold]{safe(' '.join(suggestions))}[/]?")
        return
    for number, hit in enumerate(hits, 1):
        story = hit.story
        when = story.published.strftime("%d %b %Y") if story.published else "undated"
        extra = f" · {hit.sources} sources" if hit.sources > 1 else ""
        tags = " ".join(f"[cyan]{safe(t)}[/]" for t in story.tag_ids)
        out.print(f"[bold]{number}. {safe(story.title)}[/]")
        out.print(f"   [dim]{safe(story.source.title)} · {when}{extra}[/] {tags}")
        out.print("   " + marked(" ".join(hit.snippet.split())))
        if story.url:
            out.print(f"   [blue]{safe(story.url)}[/]")


def marked(snippet: str) -> str:
    """A snippet with its matched words in bold: the marks become markup, the rest is escaped."""
    parts = []
    for number, chunk in enumerate(snippet.split(MARK_START)):
        word, _, rest = chunk.partition(MARK_END) if number else ("", "", chunk)
        parts.append((f"[bold yellow]{safe(word)}[/]" if word else "") + safe(rest))
    return "".join(parts)

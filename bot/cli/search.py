"""`hubnews search`: the engine behind /hubnews, printed for people or as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.markup import escape

from bot.cli.common import OK, err, load_config, out
from bot.query import parse_query
from bot.store import Hit, Store
from bot.store.search import MARK_END, MARK_START

# ---------------------------------------------------------------- search


def cmd_search(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    text = " ".join(args.query)
    query = parse_query(text)
    store = Store(cfg.database)
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
        err.print(f"[yellow]note:[/] {escape(note)}")
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
        out.print(f"No stories match [bold]{escape(text)}[/].")
        if suggestions:
            out.print(f"Did you mean [bold]{escape(' '.join(suggestions))}[/]?")
        return
    for number, hit in enumerate(hits, 1):
        story = hit.story
        when = story.published.strftime("%d %b %Y") if story.published else "undated"
        extra = f" · {hit.sources} sources" if hit.sources > 1 else ""
        tags = " ".join(f"[cyan]{t}[/]" for t in story.tag_ids)
        out.print(f"[bold]{number}. {escape(story.title)}[/]")
        out.print(f"   [dim]{escape(story.source.title)} · {when}{extra}[/] {tags}")
        snippet = escape(" ".join(hit.snippet.split()))
        out.print("   " + snippet.replace(MARK_START, "[bold yellow]").replace(MARK_END, "[/]"))
        if story.url:
            out.print(f"   [blue]{escape(story.url)}[/]")

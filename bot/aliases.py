"""The taxonomy's alias table across scripts and names, for search (and anyone else).

Each `[[entities]]` entry of the taxonomy lists one thing under all its names: Yizhuang ≈ 亦庄 ≈
Beijing E-Town, Ministry of Science and Technology ≈ MOST ≈ 科技部, artificial intelligence ≈ AI ≈
人工智能 ≈ KI ≈ IA …  `expand_query` ORs every query word or phrase with the other names of the
entity it names, so `/hubnews 亦庄` finds a story written in English. Names written in capitals
(acronyms: "MOST", "AI") match case-sensitively — "most" is not the ministry; other names match
case-insensitively, hyphens as spaces. Pure functions; `bundled_aliases()` caches the table of the
bundled taxonomy for the search path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from bot.hanzi import other_scripts
from bot.query import Query
from bot.taxonomy import Taxonomy, is_acronym, load_taxonomy

MAX_ALTERNATIVES = 12  # per query word, the word itself included

AliasTable = Mapping[str, tuple[str, ...]]


def _key(name: str) -> str:
    if is_acronym(name):  # one word in capitals: case-sensitive
        return name
    return " ".join(name.replace("-", " ").split()).lower()


def alias_table(names: Iterable[tuple[str, ...]]) -> AliasTable:
    """name key -> every name of the entity (several entities may share a name: all of theirs)."""
    table: dict[str, list[str]] = {}
    for group in names:
        for name in group:
            known = table.setdefault(_key(name), [])
            known.extend(n for n in group if n not in known)
    return MappingProxyType({k: tuple(v) for k, v in table.items()})


def taxonomy_aliases(taxonomy: Taxonomy) -> AliasTable:
    return alias_table(taxonomy.aliases)


@lru_cache(maxsize=1)
def bundled_aliases() -> AliasTable:
    return taxonomy_aliases(load_taxonomy())


def expand(term: str, table: AliasTable) -> tuple[str, ...]:
    """`term` first, then its spellings in the other Chinese script (亦莊 -> 亦庄) and the
    other names of the entity any of them names (none: just `term`)."""
    forms = (term, *other_scripts(term))
    out = list(forms)
    for form in forms:
        out.extend(n for n in table.get(_key(form), ()) if _key(n) != _key(term))
    return tuple(dict.fromkeys(out))[:MAX_ALTERNATIVES]


def expand_query(query: Query, table: AliasTable) -> Query:
    """The query with every alternative of every group widened by its aliases."""
    groups = []
    for group in query.groups:
        widened: list[str] = []
        for term in group:
            widened.extend(t for t in expand(term, table) if t not in widened)
        groups.append(tuple(widened))
    if tuple(groups) == query.groups:
        return query
    return Query(tuple(groups), query.tags, query.sources, query.since, query.before, query.notes)

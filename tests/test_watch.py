"""watch: a watch fires exactly when /hubnews would find the story, found through an index."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import QueryError
from bot.fetch import Fetched
from bot.parse import parse
from bot.query import MAX_LENGTH
from bot.store import Store
from bot.story import Source, Story, Tag
from bot.watch import Percolator, compile_watch
from bot.watch_text import Tokenizer

SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"


def story(
    title: str,
    body: str = "",
    *,
    tags: Iterable[str] = (),
    feed: str = "scmp-tech",
    domain: str = "scmp.com",
    key: str = "k1",
) -> Story:
    return Story(
        key=key,
        url=f"https://www.{domain}/article/{key}",
        title=title,
        source=Source(feed=feed, title=feed.upper(), domain=domain),
        published=None,
        content=body,
        tags=tuple(Tag(t, 0.9) for t in tags),
    )


def yizhuang(word: str) -> list[str]:
    """A small alias table, as the taxonomy's will be."""
    names = {"yizhuang": ["亦庄", "Beijing E-Town"], "亦庄": ["Yizhuang"]}
    return names.get(word.lower(), [])


CHIP_STORY = story(
    "Beijing E-Town courts chip makers with new subsidies",
    "The Yizhuang zone (北京亦庄) offers cheap land. Café owners say naïve plans won't work.",
    tags=["ai", "industrial-policy"],
)


@pytest.mark.parametrize(
    ("query", "fires"),
    [
        ("subsidies", True),
        ("subsidy", True),  # same porter stem as the story's "subsidies"
        ("subsidized", False),
        ("chip", True),
        ("chips", True),
        ('"chip makers"', True),
        ('"makers chip"', False),  # a phrase is consecutive tokens, in order
        ('"subsidies the"', False),  # never across title and body
        ("yizhuang", True),
        ("亦庄", True),
        ("北京亦庄", True),
        ("亦庄北京", False),
        ("庄", False),  # one CJK character is not a bigram the index holds
        ("cafe", True),
        ("café", True),
        ("naive", True),
        ("CHIP MAKERS", True),
        ("chip Shenzhen", False),
        ("Shenzhen OR Yizhuang", True),
        ("Shenzhen OR Shanghai", False),
        ("Yizhuang tag:ai", True),
        ("tag:industrial-policy", True),
        ("tag:industrial_policy", True),
        ("tag:trade", False),
        ("tag:trade tag:ai", True),  # tags: any of
        ("source:scmp.com", True),
        ("source:SCMP-TECH", True),
        ("source:www.scmp.com chips", True),
        ("source:reuters.com chips", False),
        ("chips source:reuters.com OR source:scmp.com", True),
        ('"won t"', True),
        ("Yizhuang 亦庄 chips", True),  # mixed scripts in one watch
    ],
)
def test_watch_fires(query: str, fires: bool) -> None:
    percolator = Percolator()
    percolator.add("w", compile_watch(query, aliases=False))
    assert percolator.match(CHIP_STORY) == (["w"] if fires else [])


@pytest.mark.parametrize(
    ("query", "text", "fires"),
    [
        ("Yizhuang", "新厂落户亦庄", True),
        ("Yizhuang", "Beijing E-Town opens a fab", True),
        ("亦庄", "A fab in Yizhuang", True),
        ("Yizhuang", "Beijing opens a fab", False),
        ("Yizhuang subsidy", "亦庄 subsidies", True),
    ],
)
def test_aliases_across_scripts(query: str, text: str, fires: bool) -> None:
    percolator = Percolator()
    percolator.add("w", compile_watch(query, expand=yizhuang))
    assert bool(percolator.match(story(text))) is fires
    plain = Percolator()
    plain.add("w", compile_watch(query, aliases=False))
    if query.lower() not in text.lower():
        assert not plain.match(story(text))  # without the alias table it does not


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("經濟技術開發區", "北京经济技术开发区发布芯片补贴"),  # traditional watch, simplified story
        ("经济技术开发区", "北京經濟技術開發區擴建園區"),  # and the other way round
        ("亦莊", "A fab in Yizhuang"),  # the other script's aliases too
    ],
)
def test_a_chinese_watch_fires_in_either_script(query: str, text: str) -> None:
    percolator = Percolator()
    percolator.add("w", compile_watch(query))  # the bundled alias table, as /hubnews watch
    assert percolator.match(story(text)) == ["w"]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("chips since:7d", "since"),
        ("before:2020-01-01 chips", "before"),
        ("", "nothing"),
        ("   ", "nothing"),
        ('OR OR "', "nothing"),
        ("x" * MAX_LENGTH + "y", "at most"),
        ("chips " * 2000, "at most"),  # 10 kB
        (" ".join(f"w{i}" for i in range(30)), "first 24 words"),
        ("tag:", "needs a value"),
    ],
)
def test_refused_watch_queries(query: str, problem: str) -> None:
    with pytest.raises(QueryError) as error:
        compile_watch(query)
    assert problem in str(error.value)
    assert "/hubnews watch" in error.value.hint


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(chips subsidies)",
        "chips*",
        '"chips',
        '"""',
        "(chips OR) AND NOT subsidies",
        "chips\x00\x07\x1b[31m",
        "\u202echips\u202c",
        "سياسة الرقائق",
        "ｃｈｉｐｓ",
        "the of and",
        "'; DROP TABLE stories; --",
        "title:chips",
        "{title body}:chips",
        "🚀 chips",
        "ᵃⁱ",
    ],
)
def test_hostile_queries_give_a_watch_or_a_query_error(query: str) -> None:
    try:
        watch = compile_watch(query)
    except QueryError as error:
        assert error.hint
        return
    percolator = Percolator()
    try:
        percolator.add("w", watch)
    except QueryError as error:
        assert error.hint
        return
    percolator.match(CHIP_STORY)


@given(st.text(max_size=600))
@settings(max_examples=200, deadline=None)
def test_any_text_gives_a_watch_or_a_query_error(text: str) -> None:
    percolator = Percolator()
    try:
        percolator.add("w", text)
    except QueryError:
        return
    percolator.match(CHIP_STORY)


def test_add_remove_and_replace() -> None:
    percolator = Percolator()
    percolator.add(1, "chips")
    percolator.add(2, "subsidies")
    percolator.add(3, "tag:ai")
    assert percolator.match(CHIP_STORY) == [1, 2, 3]
    assert percolator.remove(2) and not percolator.remove(2)
    assert percolator.match(CHIP_STORY) == [1, 3]
    percolator.add(1, "Shenzhen")  # the same id again replaces the watch
    assert percolator.match(CHIP_STORY) == [3]
    percolator.remove(3)
    percolator.remove(1)
    assert len(percolator) == 0 and not percolator._index


def test_many_watches_sharing_terms_are_verified_each() -> None:
    percolator = Percolator()
    queries = {f"w{i}": f"chips {extra}" for i, extra in enumerate(["makers", "Shenzhen"] * 50)}
    for watch_id, query in queries.items():
        percolator.add(watch_id, query)
    fired = percolator.match(CHIP_STORY)
    assert fired == [w for w, q in queries.items() if q.endswith("makers")]


def test_the_index_reaches_only_watches_whose_anchor_the_story_holds() -> None:
    percolator = Percolator()
    for i in range(200):
        percolator.add(i, f"zzword{i} OR yyword{i}")
    percolator.add("tagged", "tag:ai")
    percolator.add("chips", "chips Shenzhen")
    terms = percolator.terms(CHIP_STORY)
    # only "tagged": "chips Shenzhen" is indexed under its rarer word, which the story lacks
    assert percolator.candidates(terms) == 1
    assert percolator.match(terms) == ["tagged"]


@pytest.mark.parametrize(
    ("query", "anchors"),
    [
        ('"the OSI"', ("osi",)),  # a function word is never the anchor when there is another
        ('"the the"', ("the",)),  # ... but a watch of nothing else still gets one
        ("chips Shenzhen", ("shenzhen",)),  # without statistics, the longer word
        ("chips OR 芯片", ("chip", "芯片")),  # an OR group: one anchor per alternative
        ("tag:ai source:scmp.com", ("\x00tag:tai",)),  # no words: the tag bucket
    ],
)
def test_default_anchors(query: str, anchors: tuple[str, ...]) -> None:
    percolator = Percolator()
    percolator.add("w", compile_watch(query, aliases=False))
    assert percolator._anchors["w"] == anchors


def test_anchor_is_the_rarest_group_given_frequencies() -> None:
    percolator = Percolator(frequency={"chip": 900, "shenzhen": 3})
    percolator.add("w", compile_watch("chips Shenzhen", aliases=False))
    assert percolator._anchors["w"] == ("shenzhen",)


def test_reanchor_moves_watches_to_their_rarer_words() -> None:
    percolator = Percolator()
    percolator.add("w", compile_watch("chips Shenzhen", aliases=False))
    percolator.add("v", compile_watch("subsidies", aliases=False))
    assert percolator._anchors["w"] == ("shenzhen",)  # the longer word, without statistics
    percolator.reanchor({"chip": 3, "shenzhen": 900})
    assert percolator._anchors["w"] == ("chip",)
    assert list(percolator.watches) == ["w", "v"]
    assert percolator.match(story("Shenzhen chips")) == ["w"]


def fts5_tokens(texts: list[str]) -> list[list[str]]:
    """The store's tokenizer, run by SQLite on a table like the store's."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE f USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')")
    db.executemany("INSERT INTO f (rowid, x) VALUES (?, ?)", enumerate(texts, 1))
    found: list[list[str]] = [[] for _ in texts]
    for term, doc in db.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
        found[doc - 1].append(term)
    db.close()
    return found


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("technologies", "technolog"),  # FTS5's porter has the reference C departures
        ("ideology", "ideolog"),  # (logi -> log, bli -> ble) that Snowball's "porter" lacks
        ("incredibly", "incred"),
        ("subsidies", "subsidi"),
        ("Café", "cafe"),
    ],
)
def test_words_are_stemmed_as_fts5_stems_them(word: str, stem: str) -> None:
    assert Tokenizer().phrase(word) == (stem,) == tuple(fts5_tokens([word])[0])


def test_chunked_tokens_equal_fts5s_on_real_text(corpus: Path) -> None:
    texts = [f"{s.title}\n{s.body}" for s in real_stories(corpus)]
    tokenizer = Tokenizer()
    assert [tokenizer.tokens(t) for t in texts] == fts5_tokens(texts)


@given(st.lists(st.text(max_size=80), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_chunked_tokens_equal_fts5s_on_any_text(texts: list[str]) -> None:
    tokenizer = Tokenizer()
    assert [tokenizer.tokens(t) for t in texts] == fts5_tokens(texts)


# --- agreement with the store's search ---------------------------------------------------------

TAGS = ["ai", "industrial-policy", "trade", "semiconductors"]
CHINESE = [
    ("亦庄新厂投产", "北京亦庄经济技术开发区的芯片工厂今天投产。"),
    ("Yizhuang fab", "The 亦庄 fab (北京经济技术开发区) makes AI芯片 for export."),
    ("深圳补贴", "深圳对人工智能企业提供补贴，北京亦庄也在跟进。"),
]


def real_stories(corpus_dir: Path | None) -> list[Story]:
    found: list[Story] = []
    for path in sorted(SAMPLES.glob("*.xml")):
        parsed = parse(
            Fetched(url=f"https://{path.stem}.example/", status=200, body=path.read_bytes()),
            path.stem,
            path.stem,
        )
        found.extend(parsed.stories[:25])
    for i, (title, body) in enumerate(CHINESE):
        found.append(story(title, body, key=f"zh{i}", feed="xinhua", domain="news.cn"))
    if corpus_dir is not None:
        with (corpus_dir / "articles" / "bbc.jsonl").open(encoding="utf-8") as lines:
            for i, line in enumerate(lines):
                if i % 40 == 0:
                    item = json.loads(line)
                    found.append(
                        story(
                            item["title"],
                            item["body"],
                            key=f"bbc{i}",
                            feed="bbc",
                            domain="bbc.co.uk",
                        )
                    )
    rng = random.Random(14)
    unique = {s.key: s for s in found}
    return [
        s.with_(tags=tuple(Tag(t, 0.9) for t in rng.sample(TAGS, rng.randint(0, 2))))
        for s in unique.values()
    ]


def generated_queries(stories: list[Story], count: int) -> list[str]:
    rng = random.Random(1414)
    words = [re.findall(r"[^\W_]+(?:['.-][^\W_]+)*", f"{s.title} {s.body}") for s in stories]
    cjk = [run for s in stories for run in re.findall(r"[\u4e00-\u9fff]{2,}", s.body)]
    domains = sorted({s.source.domain for s in stories} | {s.source.feed for s in stories})

    def term() -> str:
        pool = rng.choice([w for w in words if w])
        at = rng.randrange(len(pool))
        kind = rng.random()
        if kind < 0.25:
            return '"' + " ".join(pool[at : at + rng.randint(2, 3)]) + '"'
        if kind < 0.35 and cjk:
            run = rng.choice(cjk)
            start = rng.randrange(len(run) - 1)
            return run[start : start + rng.randint(2, 4)]
        word = pool[at]
        if kind < 0.45:
            return word + rng.choice(["s", "ing", "ed", "ies", "ly"])  # inflections: stems
        if kind < 0.5:
            return word.replace("e", "é").upper()  # diacritics and case
        return word

    queries = []
    for _ in range(count):
        parts = [term() for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
        if rng.random() < 0.3:
            parts.insert(rng.randrange(len(parts)), "OR")
        if rng.random() < 0.2:
            parts.append(f"tag:{rng.choice(TAGS)}")
        if rng.random() < 0.15:
            parts.append(f"source:{rng.choice(domains)}")
        queries.append(" ".join(parts))
    queries += [f"tag:{t}" for t in TAGS] + [f"source:{d}" for d in domains[:5]]
    return queries


def agreement(stories: list[Story], queries: list[str]) -> None:
    store = Store(":memory:")
    for s in stories:
        store.save(s)
    percolator = Percolator()
    compiled = {}
    for i, text in enumerate(queries):
        try:
            compiled[i] = compile_watch(text)
            percolator.add(i, compiled[i])
        except QueryError:
            continue
    fired: dict[int, set[str]] = {i: set() for i in compiled}
    for s in stories:
        for watch_id in percolator.match(s):
            fired[watch_id].add(s.key)
    assert len(percolator) > len(queries) * 0.9
    disagreements = []
    for i, query in compiled.items():
        if i not in percolator.watches:
            continue
        found = {hit.story.key for hit in store.search(query, limit=10_000)}
        if found != fired[i]:
            disagreements.append((queries[i], sorted(found ^ fired[i])[:3]))
    store.close()
    assert not disagreements
    assert sum(map(len, fired.values())) > len(queries)  # the queries do find things


def test_watch_fires_exactly_when_search_finds_the_story() -> None:
    stories = real_stories(None)
    agreement(stories, generated_queries(stories, 400))


def test_watch_agrees_with_search_on_bbc_articles(corpus: Path) -> None:
    stories = real_stories(corpus)
    agreement(stories, generated_queries(stories, 400))

"""Dedup: copies are folded, new news is not; exact stages; bad input; window; rebuild.

The dev set (tests/dedup_devset/pairs.json) holds references and recipes only; BBC articles
and the 2022-04 feeds are read from ../shared/corpus at test time (skipped when absent).
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dedup import DEFAULT_THRESHOLDS, Deduper
from bot.dedup_verify import Verdict
from bot.story import Match, Source, Story

sys.path.insert(0, str(Path(__file__).parent / "dedup_devset"))
import recipes

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
SEED_A = recipes.source("seed:000")
SEED_B = recipes.source("seed:001")
CJK = (
    "北京亦庄获批建设国家人工智能产业化基地",
    "北京经济技术开发区周三表示，未来三到五年将建设人工智能重大应用示范基地，涵盖智慧城市和金融等"
    "十个项目，目标市场规模不低于五百亿元。\n科技部此前一天将亦庄认定为首个人工智能产业化基地。\n"
    "亦庄本身没有大型人工智能企业，但其投资平台已投资近一千家初创公司，其中包括旷视科技。\n"
    "百度也在亦庄的阿波罗园区测试自动驾驶汽车。",
)
CJK_TRADITIONAL = (  # CJK as a Hong Kong outlet re-runs it, typed in traditional characters
    "北京亦莊獲批建設國家人工智能產業化基地",
    "北京經濟技術開發區週三表示，未來三到五年將建設人工智能重大應用示範基地，涵蓋智慧城市和金融等"
    "十個項目，目標市場規模不低於五百億元。\n科技部此前一天將亦莊認定為首個人工智能產業化基地。\n"
    "亦莊本身沒有大型人工智能企業，但其投資平台已投資近一千家初創公司，其中包括曠視科技。\n"
    "百度也在亦莊的阿波羅園區測試自動駕駛汽車。",
)
CJK_OTHER = (
    "上海发布集成电路产业扶持新政",
    "上海市经济和信息化委员会周五发布集成电路产业扶持政策，对十二英寸晶圆厂项目给予最高三十亿元"
    "补贴。\n申请企业须在上海注册满三年，并于六月底前提交材料。\n"
    "政策重点支持光刻胶、大硅片和先进封装等环节。",
)


def story(
    key: str,
    title: str = "",
    body: str | list[str] = "",
    *,
    when: datetime | None = T0,
    url: str | None = None,
    domain: str = "example.com",
    feed: str | None = None,
) -> Story:
    text = body if isinstance(body, str) else "\n".join(body)
    link = f"https://{domain}/{key}" if url is None else url
    return Story(
        key=key,
        url=link,
        title=title,
        source=Source(feed or domain, feed or domain, domain),
        published=when,
        content=text,
        canonical_url=link,
    )


def doc_story(key: str, doc: tuple[str, list[str]], **kw: object) -> Story:
    return story(key, doc[0], doc[1], **kw)  # type: ignore[arg-type]


def verdict(first: Story, second: Story) -> Match | None:
    deduper = Deduper()
    deduper.add(first)
    return deduper.check(second)


# ------------------------------------------------------------------ the seed pair


def test_seed_copy_is_folded() -> None:
    match = verdict(doc_story("scmp-000", SEED_A), doc_story("scmp-001", SEED_B))
    assert match is not None
    assert (match.original_key, match.kind) == ("scmp-000", "near")
    assert match.scores["containment"] >= DEFAULT_THRESHOLDS["containment"]
    assert match.scores["title"] < 0.5  # caught although the headlines differ
    assert match.thresholds["containment"] == DEFAULT_THRESHOLDS["containment"]
    assert "of its sentences are in the earlier story" in match.reason
    assert match.reason.endswith(".")


def test_follow_up_on_seed_is_new_news() -> None:
    follow_up = recipes.source("text:seed_followup")
    for earlier in (SEED_A, SEED_B):
        assert (
            verdict(
                doc_story("seed", earlier),
                doc_story("follow", follow_up, when=T0 + timedelta(days=4)),
            )
            is None
        )


def test_seed_copy_is_folded_among_many_stories() -> None:
    try:
        ids = recipes.bbc_ids()
    except recipes.Unavailable as exc:
        pytest.skip(str(exc))
    deduper = Deduper()
    background = [doc_story(f"bbc-{i}", recipes.source("bbc:" + i)) for i in ids[::3]]
    assert deduper.load([*background[:300], doc_story("scmp-000", SEED_A), *background[300:]])
    match = deduper.check(doc_story("scmp-001", SEED_B))
    assert match is not None and match.original_key == "scmp-000"


@pytest.mark.parametrize(
    ("token", "number"),
    [
        ("1,000", "1000"),
        ("7.50", "7.5"),
        ("007", "7"),
        ("1萬844", "10844"),
        ("1万844", "10844"),
        ("2億3000萬", "230000000"),
        ("1.5亿", "150000000"),
        ("3,000萬", "30000000"),
        ("9" * 400 + "億", "9" * 400),
        ("1.2.3萬", "123"),  # no figure: its digits, and no crash
        ("1,2,3万", "123"),
        ("٣٥", "35"),  # Arabic-Indic digits
        ("१२३", "123"),  # Devanagari
    ],
)
def test_numbers_read_as_one_figure_in_any_spelling(token: str, number: str) -> None:
    from bot.dedup_text import _NUMBER, _number

    assert [_number(t) for t in _NUMBER.findall(f"共 {token}家 ")] == [number]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩०१२३४५६७८९.,萬万億亿 元x", max_size=40))
def test_any_run_of_digits_separators_and_myriads_reads_as_a_number(text: str) -> None:
    """ASCII, Arabic-Indic and Devanagari digits, separators and myriad units: a number read,
    never an exception (non-ASCII digits sent the first myriad reader into endless recursion)."""
    from bot.dedup_text import _NUMBER, _number, features

    for token in _NUMBER.findall(text):
        number = _number(token)
        assert number and number == number.strip()
    features("t", text)


_PIECES = st.sampled_from(
    [
        "The regulator fined Vantor 12 million euros.",
        "About Vantor Systems: Vantor Systems makes tools.",
        "About us",
        "We make chips.",
        "Read the full story at X.",
        "LONDON (Reuters) - ",
        "亦庄获批1萬844家",
        "٣٥ دولار",
        "१२३ रुपये।",
        "Photo: Reuters",
        "Correction: 3 not 4.",
        "\n",
        "\n\n",
        ". . .",
        "ÄÖÜ Straße",
        "🙂",
        "1.2.3萬",
        "U.S. President Joe Biden",
    ]
)
_TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=30)), max_size=12).map(" ".join)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_TEXTS, _TEXTS), min_size=1, max_size=5))
def test_any_sequence_of_stories_is_checked_and_added_without_error(
    stories: list[tuple[str, str]],
) -> None:
    """Mixed scripts, other digits, release tails, trailers, corrections and random text, as
    titles and bodies, checked then added one after another: every check decides."""
    texts: dict[str, tuple[str, str]] = {}
    deduper = Deduper(text_of=texts.get)
    for n, (title, body) in enumerate(stories):
        item = story(f"s{n}", title, body)
        texts[item.key] = (item.title, item.body)
        match = deduper.check(item)
        assert match is None or match.reason
        deduper.add(item.with_(duplicate=match))


@pytest.mark.parametrize("order", ["simplified first", "traditional first"])
def test_a_chinese_story_re_run_in_the_other_script_is_a_copy(order: str) -> None:
    """Both scripts are compared as simplified characters (OpenCC): a Xinhua story re-run by
    a Hong Kong or Taiwan outlet in traditional characters shares no character n-gram with
    it as written (亦庄 / 亦莊, 经济 / 經濟)."""
    first, second = (CJK, CJK_TRADITIONAL)
    if order == "traditional first":
        first, second = second, first
    match = verdict(story("first", *first), story("second", *second, domain="hk.example"))
    assert match is not None and match.original_key == "first"
    assert match.reason.endswith("; it is written in the other Chinese script.")
    other = verdict(story("first", *first), story("other", *CJK_OTHER, domain="hk.example"))
    assert other is None


def test_a_traditional_re_run_with_a_trailer_says_it_is_in_the_other_script() -> None:
    """Not the same text (a trailer in traditional characters, "閱讀全文", which is furniture once
    read as simplified ones): verified sentence by sentence, and the reason says why the
    characters differ."""
    title, body = CJK_TRADITIONAL
    match = verdict(
        story("first", *CJK), story("hk", title, body + "\n閱讀全文", domain="hk.example")
    )
    assert match is not None and match.kind == "near" and "boilerplate" in match.reason
    assert match.reason.endswith("; it is written in the other Chinese script.")


def test_chinese_copy_writing_a_figure_in_myriads_is_not_a_changed_figure() -> None:
    title, body = CJK
    line = "\n截至目前共有10,844家企业列入名单。"
    match = verdict(
        story("a", title, body + line), story("b", title, body + line.replace("10,844", "1萬844"))
    )
    assert match is not None and "changes a figure" not in match.reason


def test_short_teaser_whose_sentence_older_stories_share_folds_into_its_own_article() -> None:
    """Nine older stories quote the teaser's one sentence (ties on hits, more than the eight
    candidates): the newest, its own article, must be among the candidates."""
    line = "Regulators in Brussels opened a formal inquiry into cloud licensing on Tuesday."
    deduper = Deduper()
    for i in range(9):
        deduper.add(
            story(
                f"older-{i}",
                f"Weekly digest number {i} of European technology policy",
                [line, f"Digest item {i} covers spectrum auctions, tariffs and data rules."],
                when=T0 - timedelta(days=2, minutes=i),
            )
        )
    title = "Brussels opens cloud licensing inquiry"
    deduper.add(story("article", title, [line, *_ORIGINAL[1][1:]], when=T0 - timedelta(hours=1)))
    match = deduper.check(story("teaser", title, [line, "Read the full story at Policy Wire."]))
    assert match is not None and match.original_key == "article"


_BRIEFINGS_EXTRA = [
    f"Analysts at firm number {i} in Rotterdam said the ruling on licence {i} could shape how "
    f"exporters read the {i}th amendment of the export rules next year."
    for i in range(2, 10)
]


def _busy_window(with_teaser: bool) -> Deduper:
    """Ten briefings quoting the last 8 sentences of an article (more hits than its teaser's
    two), added after the teaser of its first two sentences (under another headline)."""
    texts: dict[str, tuple[str, str]] = {}
    deduper = Deduper(text_of=texts.get)
    stories = []
    if with_teaser:
        teaser = [*_ORIGINAL[1][:2], "Read the full story at Policy Wire."]
        stories.append(story("teaser", "Chip parts fine for Dutch exporter", teaser))
    for i in range(10):
        paras = [
            f"Briefing {i} on the week in trade policy opens here with news of tariffs.",
            *_BRIEFINGS_EXTRA,
            f"Briefing {i} closes with a look at spectrum auctions and data rules.",
        ]
        stories.append(story(f"briefing-{i}", f"Export rules briefing {i}", paras))
    for s in stories:
        texts[s.key] = (s.title, s.body)
        deduper.add(s)
    return deduper


def test_full_article_folds_into_its_short_teaser_in_a_busy_window() -> None:
    """The teaser ties the briefings on hits and is the oldest (11th of 8 candidates): it is
    taken as a short story most of whose keys are here, and verified."""
    full = story("full", _ORIGINAL[0], [*_ORIGINAL[1], *_BRIEFINGS_EXTRA])
    match = _busy_window(with_teaser=True).check(full)
    assert match is not None and match.original_key == "teaser" and match.kind == "fuller"


def test_a_sketch_judged_copy_is_never_folded_unverified() -> None:
    """Every briefing looks like a paraphrase on the sketches (53 % of 4-grams, no facts
    swapped); verified on full text, none is: the story is new news, whatever the budget."""
    full = story("full", _ORIGINAL[0], [*_ORIGINAL[1], *_BRIEFINGS_EXTRA])
    assert _busy_window(with_teaser=False).check(full) is None


def test_copy_of_a_copy_points_at_the_first_arrival() -> None:
    deduper = Deduper()
    first = doc_story("first", SEED_A)
    deduper.add(first)
    second = doc_story("second", recipes.build({"src": "seed:000", "recipe": [["excerpt", 4]]}))
    match = deduper.check(second)
    assert match is not None
    deduper.add(second.with_(duplicate=match))
    third = doc_story("third", recipes.build({"src": "seed:000", "recipe": [["excerpt", 3]]}))
    found = deduper.check(third)
    assert found is not None and found.original_key == "first"


# ------------------------------------------------------------------ the dev set


def _devset() -> list[tuple[dict, bool]]:
    results = []
    for pair in recipes.pairs():
        try:
            a, b = recipes.build(pair["a"]), recipes.build(pair["b"])
        except recipes.Unavailable as exc:
            pytest.skip(f"dev set needs the shared corpus: {exc}")
        found = verdict(
            story(pair["id"] + "/a", *a), story(pair["id"] + "/b", *b, when=T0 + timedelta(hours=5))
        )
        results.append((pair, found is not None))
    return results


@pytest.fixture(scope="module")
def devset() -> list[tuple[dict, bool]]:
    return _devset()


def test_devset_precision_and_recall(devset: list[tuple[dict, bool]]) -> None:
    tp = sum(folded for pair, folded in devset if pair["label"] == "copy")
    fp = sum(folded for pair, folded in devset if pair["label"] == "new")
    fn = sum(not folded for pair, folded in devset if pair["label"] == "copy")
    wrong = [pair["id"] for pair, folded in devset if folded != (pair["label"] == "copy")]
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    assert len(devset) >= 100
    assert precision >= 0.98, f"precision {precision:.3f}; wrong: {wrong}"
    assert recall >= 0.95, f"recall {recall:.3f}; wrong: {wrong}"


COPY_KINDS = [
    "seed",
    "retitle-truncate",
    "update",
    "excerpt",
    "paraphrase",
    "furniture",
    "reorder",
    "debris",
    "bbc-near",
    "bbc-exact",
    "bbc-update",
]
NEW_KINDS = [
    "follow-up",
    "template",
    "roundup",
    "press-release",
    "own-reporting",
    "same-company",
    "generic-title",
    "bbc-follow-up",
    "bbc-template",
]


@pytest.mark.parametrize(
    ("kind", "label"), [(k, "copy") for k in COPY_KINDS] + [(k, "new") for k in NEW_KINDS]
)
def test_devset_covers_kind_and_gets_it_mostly_right(
    devset: list[tuple[dict, bool]], kind: str, label: str
) -> None:
    rows = [folded for pair, folded in devset if pair["kind"] == kind]
    assert rows, f"no {kind} pairs in the dev set"
    right = sum(folded == (label == "copy") for folded in rows)
    assert right >= 0.8 * len(rows), f"{kind}: {right}/{len(rows)} right"


def test_devset_pairs_are_labelled_both_ways() -> None:
    counts = Counter(pair["label"] for pair in recipes.pairs())
    assert counts["copy"] >= 50 and counts["new"] >= 50


# ------------------------------------------------------------------ exact stages


@pytest.mark.parametrize(
    ("second", "kind"),
    [
        (story("k1", "Other title", "short", url="https://other.example/x"), "key"),
        (story("k2", "Retitled", "", url="https://example.com/k1"), "url"),
        (
            story(
                "k3",
                "Retitled",
                " ".join([f"word{i}" for i in range(60)]),
                url="https://elsewhere.example/k3",
            ),
            "text",
        ),
    ],
)
def test_exact_stages(second: Story, kind: str) -> None:
    first = story("k1", "Original", " ".join([f"word{i}" for i in range(60)]))
    match = verdict(first, second)
    assert match is not None and (match.kind, match.original_key) == (kind, "k1")


def test_same_key_is_indexed_once() -> None:
    deduper = Deduper()
    deduper.add(doc_story("a", SEED_A))
    deduper.add(doc_story("a", SEED_A))
    assert len(deduper) == 1


# ------------------------------------------------------------------ bad input

GENERIC = "Live updates"


@pytest.mark.parametrize(
    ("first", "second", "folded"),
    [
        pytest.param(story("a", "", ""), story("b", "", ""), False, id="empty"),
        pytest.param(story("a", "Breaking"), story("b", "Breaking"), False, id="one-word"),
        pytest.param(story("a", GENERIC), story("b", GENERIC), False, id="generic-title-only"),
        pytest.param(
            doc_story("a", (GENERIC, SEED_A[1])),
            story("b", GENERIC),
            False,
            id="generic-title-vs-article",
        ),
        pytest.param(
            doc_story("a", SEED_A), story("b", SEED_A[0]), True, id="title-only-same-title"
        ),
        pytest.param(
            doc_story("a", SEED_A), story("b", SEED_B[0]), False, id="title-only-other-title"
        ),
        pytest.param(
            story("a", "Nordvolt picks Salzgitter for battery plant"),
            story("b", "Nordvolt picks Salzgitter for battery plant, shares rise"),
            False,
            id="title-only-near-title",
        ),
        pytest.param(
            story("a", *CJK), story("b", CJK[0], CJK[1].split("\n")[:2]), True, id="cjk-truncated"
        ),
        pytest.param(story("a", *CJK), story("b", *CJK_OTHER), False, id="cjk-other"),
        pytest.param(
            doc_story("a", SEED_A),
            story(
                "b",
                "<b>AI hub</b>",
                "".join(
                    f"<p>{p.replace('’', '&rsquo;')}</p><script>x()</script>" for p in SEED_A[1]
                ),
            ),
            True,
            id="html-debris",
        ),
        pytest.param(
            doc_story("a", SEED_A),
            story("b", CJK[0] + " " + SEED_A[0], [CJK[1], *SEED_A[1]]),
            True,
            id="mixed-scripts",
        ),
    ],
)
def test_bad_input_gives_sensible_decisions(first: Story, second: Story, folded: bool) -> None:
    assert (verdict(first, second) is not None) is folded


def test_five_megabyte_body_does_not_crash_and_is_matched_on_its_text() -> None:
    big = "\n".join(SEED_A[1]) + "\n" + "lorem ipsum dolor sit amet " * 200_000
    assert len(big) > 5_000_000
    deduper = Deduper()
    assert deduper.check(story("big", "Huge", big)) is None
    deduper.add(story("big", "Huge", big))
    match = deduper.check(story("big2", "Huge again", big, url="https://mirror.example/b"))
    assert match is not None and match.kind == "text"


# ------------------------------------------------------------------ window, rebuild, config


def test_window_eviction_uses_published_or_added_time() -> None:
    deduper = Deduper(window=timedelta(days=30))
    deduper.add(doc_story("old", SEED_A, when=T0 - timedelta(days=40)))
    deduper.add(story("undated", *CJK, when=None))
    assert deduper.evict(T0) == 1
    assert deduper.check(doc_story("copy", SEED_B)) is None
    assert deduper.check(story("cjk-copy", *CJK)) is not None
    assert deduper.evict(datetime.now(UTC) + timedelta(days=31)) == 1
    assert deduper.check(story("cjk-copy", *CJK)) is None and len(deduper) == 0


def test_load_rebuilds_the_window() -> None:
    stories = [
        doc_story("seed", SEED_A),
        story("cjk", *CJK),
        story("cjk-other", *CJK_OTHER),
        doc_story("seed", SEED_A),
    ]
    deduper = Deduper()
    assert deduper.load(stories) == 3
    match = deduper.check(doc_story("copy", SEED_B))
    assert match is not None and match.original_key == "seed"
    assert deduper.check(story("new", *recipes.source("text:entity_week1"))) is None


def test_thresholds_override_defaults_and_unknown_names_are_refused() -> None:
    strict = Deduper(thresholds={"shared": 1.01, "reworded": 1.01})  # verifier: nothing shared
    strict.add(doc_story("seed", SEED_A))
    assert strict.check(doc_story("copy", SEED_B)) is None
    assert strict.thresholds["title"] == DEFAULT_THRESHOLDS["title"]
    with pytest.raises(ValueError, match="containment"):
        Deduper(thresholds={"containmnet": 0.5})


def test_check_does_not_add() -> None:
    deduper = Deduper()
    deduper.check(doc_story("seed", SEED_A))
    assert len(deduper) == 0 and deduper.check(doc_story("copy", SEED_B)) is None


@pytest.mark.parametrize(
    ("earlier", "later", "words"),
    [
        ("text:entity_week1", "text:entity_week2", "facts the other lacks"),
        ("text:results_semi1", "text:results_semi2", "facts the other lacks"),
        ("seed:000", "text:seed_followup", "dropped numbers/names"),
        ("seed:000", "text:seed_same_company", "only"),
    ],
)
def test_new_news_is_explained_by_what_differs(earlier: str, later: str, words: str) -> None:
    from bot.dedup_judge import judge
    from bot.dedup_text import features

    folded, scores, reason = judge(
        features(*recipes.build({"src": later})),
        features(*recipes.build({"src": earlier})),
        DEFAULT_THRESHOLDS,
    )
    assert not folded and words in reason
    assert 0.0 <= scores["containment"] <= 1.0


def test_identical_boilerplate_descriptions_do_not_fold_different_stories() -> None:
    boilerplate = (
        "Click through to read this story on our website, where you can also find the "
        "latest headlines, sign up to our newsletters and follow our live coverage of "
        "business, politics and technology news."
    )
    first = story("a", "Chipmaker raises prices by 20% as demand for AI servers soars", boilerplate)
    second = story("b", "Ministry publishes draft rules for data centre energy use", boilerplate)
    assert verdict(first, second) is None
    same_title = story("c", first.title, boilerplate, url="https://mirror.example/c")
    assert verdict(first, same_title) is not None


# ------------------------------------------------------------------ the copies pair set (#11)


def _pair_results(split: str) -> list[tuple[dict, bool]]:
    sys.path.insert(0, str(Path(__file__).parent / "copies_pairs"))
    import evaluate
    import pairset

    try:
        chosen = [p for p in pairset.pairs() if p["split"] == split]
        return [(pair, folded) for pair, folded, _ in evaluate.run(chosen)]
    except pairset.Unavailable as exc:
        pytest.skip(str(exc))


def test_copies_pair_set_test_split_is_scored_not_tuned(corpus: Path) -> None:
    """`test` (455 pairs, split by source article) was never used to choose a rule or a
    threshold: they were chosen on `train`. Floors sit below the measured figures
    (docs/BENCHMARKS-dedup.md) so a regression fails; they are not targets met by tuning."""
    rows = _pair_results("test")
    folded_new = sum(1 for p, f in rows if f and p["label"] == "new")
    copies = [f for p, f in rows if p["label"] == "copy"]
    built = [f for p, f in rows if p["label"] == "copy" and p["origin"] != "web"]
    assert folded_new <= 4  # precision >= 0.98 on ~240 folds (3 measured)
    assert sum(copies) / len(copies) >= 0.92
    assert sum(built) / len(built) >= 0.98  # web copies: rewordings/translations out of reach


def test_fresh_pairs_from_train_side_articles_hold_the_train_figures(corpus: Path) -> None:
    """2,727 pairs of every constructed kind built from train-side BBC articles no pair uses
    (`make_pairs.dev_pairs`): rules chosen on 400 constructed train pairs meet other text.
    Measured 0.998 / 1.000 (4 new news folded: templates and follow-ups from a neighbour on
    the same story; 6 until a story's first figure corrected anywhere counted, "Radio 4's" ->
    "Radio 11's"); floors below it."""
    sys.path.insert(0, str(Path(__file__).parent / "copies_pairs"))
    import evaluate
    import pairset

    try:
        rows = evaluate.run(evaluate.dev_pairs())
    except pairset.Unavailable as exc:
        pytest.skip(str(exc))
    folded_new = sum(1 for p, f, _ in rows if f and p["label"] == "new")
    copies = [f for p, f, _ in rows if p["label"] == "copy"]
    assert len(rows) > 2_500
    assert folded_new <= 5  # precision >= 0.997 on ~1,910 folds (10 before the lead rules)
    assert sum(copies) / len(copies) >= 0.995


def test_fresh_pairs_from_short_multilingual_web_excerpts_are_mostly_right(corpus: Path) -> None:
    """4,636 pairs of every constructed kind built from the 242 real excerpts of
    labelled-web.jsonl (1-3 paragraphs, 10 languages) that share no text with the web pairs
    (`make_pairs.devweb_pairs`). Measured: 6 copies missed (12 before one-line descriptions
    were verified), 36 new news folded (42 before the exact-text key read the whole text, 38
    before a story's first figure corrected anywhere counted): 34 are follow-ups whose
    "background" is the whole one-paragraph first item under a short lead (an update on top,
    which folds only within 36 hours: the pairs carry no times)."""
    sys.path.insert(0, str(Path(__file__).parent / "copies_pairs"))
    import evaluate
    import pairset

    try:
        rows = evaluate.run(evaluate.dev_pairs("devweb"))
    except pairset.Unavailable as exc:
        pytest.skip(str(exc))
    folded_new = [p["kind"] for p, f, _ in rows if f and p["label"] == "new"]
    copies = [f for p, f, _ in rows if p["label"] == "copy"]
    assert len(rows) > 4_000
    assert sum(1 for kind in folded_new if not kind.startswith("follow-up")) <= 3
    assert len(folded_new) <= 38
    assert len(copies) - sum(copies) <= 8


@pytest.mark.parametrize(
    ("line", "boilerplate"),
    [
        ("Read the full story at Asia Business Wire.", True),
        ("This article first appeared on The Daily Ledger.", True),
        ("The post Chip tax credit passes appeared first on Tech Digest.", True),
        ("Lesen Sie den vollständigen Artikel auf heise online.", True),
        ("Cet article est paru initialement sur Le Monde.", True),
        ("阅读全文", True),
        ("Photo: Maria Lopez/Reuters", True),
        ("Subscribe to The Daily Ledger for just $1 a week for the first 12 weeks.", True),
        ("(Reporting by Anna Smith; Editing by Mark Potter)", True),
        ("Advertisement", True),
        ("The ministry said it would read the full report before deciding.", False),
        ("Samsung will invest $17bn in a Texas chip plant, the company said on Tuesday.", False),
    ],
)
def test_boilerplate_lines_are_recognised(line: str, boilerplate: bool) -> None:
    from bot.boilerplate import is_boilerplate

    assert is_boilerplate(line) is boilerplate


_ABOUT_VANTOR = (
    "About Vantor Systems: Vantor Systems designs lithography subsystems and metrology tools "
    "for semiconductor fabs in Europe, Asia and North America. Founded in 1998 and based in "
    "Eindhoven, the company employs 2,300 people and serves more than 40 chipmakers worldwide."
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"Lead.\nMore.\n{_ABOUT_VANTOR}\nMedia contact: Anna de Vries.", ["Lead.", "More."]),
        ("Lead.\nAbout Vantor Systems\nVantor Systems designs tools.\nContact: x", ["Lead."]),
        ("Lead.\nAbout us\nWe make chips.", ["Lead."]),
        (  # a subheading followed by article text is not a release's tail
            "Lead.\nAbout Chips Act Funding\nThe funding was approved in 2022.",
            ["Lead.", "About Chips Act Funding", "The funding was approved in 2022."],
        ),
        (
            "Lead.\nAbout 40 people were hurt.\nMore.",
            ["Lead.", "About 40 people were hurt.", "More."],
        ),
        (_ABOUT_VANTOR, [_ABOUT_VANTOR]),  # never the whole text
    ],
)
def test_a_press_releases_about_section_and_what_follows_are_its_tail(
    text: str, kept: list[str]
) -> None:
    from bot.boilerplate import strip

    assert strip(text)[0] == kept


def test_two_releases_of_one_company_sharing_their_about_text_are_new_news() -> None:
    """Each release: one new sentence (who was appointed) over the same company description
    and contact line. Another outlet's re-run of the first one still folds."""
    contact = "Media contact: Anna de Vries, press office, Vantor Systems."
    cfo = "Vantor Systems appointed Karel Smit as chief financial officer on Monday, from April."
    cto = "Vantor Systems appointed Jan Bakker as chief technology officer on Monday, from May."
    first = story("cfo", "Vantor Systems names CFO", [cfo, _ABOUT_VANTOR, contact])
    assert (
        verdict(first, story("cto", "Vantor Systems names CTO", [cto, _ABOUT_VANTOR, contact]))
        is None
    )
    rerun = [f"EINDHOVEN (Reuters) - {cfo}", _ABOUT_VANTOR, contact, "Read the full story at X."]
    match = verdict(first, story("rerun", "Dutch chip supplier gets a new finance chief", rerun))
    assert match is not None and match.original_key == "cfo"


def test_a_name_replaced_in_a_lead_without_figures_is_a_changed_fact() -> None:
    """The lead names another town (no number in it): a correction, not a copy."""
    title, paras = _ORIGINAL
    first = (title, paras[1:5])
    fixed = (title, [paras[1].replace("Eindhoven", "Veldhoven"), *paras[2:5]])
    assert verdict(doc_story("first", first), doc_story("fixed", fixed)) is None
    assert "changes a name (Eindhoven -> Veldhoven)" in _compare(fixed, first).reason


def test_dateline_is_stripped_from_the_lead() -> None:
    from bot.boilerplate import strip

    assert strip("LONDON (Reuters) - Shares rose.\nRead more")[0] == ["Shares rose."]


def _teaser(doc: tuple[str, list[str]]) -> tuple[str, list[str]]:
    return "A new headline for the same story", [
        *doc[1][1:3],  # the first two paragraphs under the "Published:" line
        "The post appeared first on Tech Digest.",
    ]


def test_teaser_folds_and_the_reason_names_the_shared_and_the_new_part() -> None:
    match = verdict(doc_story("full", SEED_A), doc_story("teaser", _teaser(SEED_A)))
    assert match is not None and match.kind == "near"
    assert "of its sentences are in the earlier story" in match.reason
    assert "adds only 1 line of boilerplate" in match.reason


def test_a_copy_with_a_line_of_its_own_says_so() -> None:
    """A re-publisher's own short intro over the whole story folds (<= 30 fresh words before
    the shared text), and the reason says what it adds instead of "it adds nothing"."""
    intro = "Our partners sent us this report from the Netherlands this morning."
    match = verdict(
        doc_story("first", _ORIGINAL), doc_story("copy", (_ORIGINAL[0], [intro, *_ORIGINAL[1]]))
    )
    assert match is not None and "it adds 11 words of its own" in match.reason


def _long_form(parts: int) -> tuple[str, list[str]]:
    """The seed article under thousands of words of other text (a column and its readers'
    comments, a live blog): the authored texts' paragraphs, then each of them with its
    words in another order, so that every part adds shingles of its own."""
    texts = recipes._texts()
    paras = [p for name in sorted(texts) for p in recipes.source(f"text:{name}")[1]]
    later = [
        " ".join(reversed(p.split())) if j == 1 else " ".join(p.split()[j:] + p.split()[:j])
        for j in range(1, parts)
        for p in paras
    ]
    return SEED_A[0], [*SEED_A[1], *paras, *later]


_DESCRIPTION = (
    "The Dutch government will spend 2.5 billion euros to keep ASML in Eindhoven, "
    "officials said on Wednesday."
)  # 16 words: what many feeds carry as the whole item


def test_a_one_line_description_under_a_new_headline_folds() -> None:
    """A feed item whose body is one sentence (fewer words than a story judged on its text)
    re-published word for word by another outlet under another headline is a copy; before,
    such items were judged on their titles alone."""
    first = story("first", "Netherlands moves to keep chipmaker at home", _DESCRIPTION)
    again = story("again", "Dutch pledge billions for ASML", _DESCRIPTION, domain="other.example")
    match = verdict(first, again)
    assert match is not None and match.original_key == "first"
    assert "its only sentence is in the earlier story" in match.reason.lower()


@pytest.mark.parametrize(
    "later",
    [
        _DESCRIPTION.replace("ASML", "NXP"),  # the outlet's template, other facts
        _DESCRIPTION.replace("will spend", "is set to spend"),  # reworded: not word for word
        "Officials said on Wednesday.",  # too short to tell anything
    ],
)
def test_a_one_line_description_folds_only_word_for_word(later: str) -> None:
    first = story("first", "Netherlands moves to keep chipmaker at home", _DESCRIPTION)
    second = story("later", "Dutch pledge billions for ASML", later, domain="other.example")
    assert verdict(first, second) is None


def test_a_reworded_one_line_description_under_the_same_headline_still_folds() -> None:
    """The titles fold a one-liner as before; the word-for-word check only adds folds."""
    title = "Netherlands moves to keep chipmaker ASML at home"
    first = story("first", title, _DESCRIPTION)
    later = _DESCRIPTION.replace("will spend", "is set to spend")
    match = verdict(first, story("later", title, later, domain="other.example"))
    assert match is not None and "title-only item" in match.reason.lower()


def _cut(words: int, mid_word: bool = False) -> str:
    """The seed article's first sentence cut short, as a feed's description often is."""
    text = " ".join(SEED_A[1][1].split()[:words])
    return (text[:-3] if mid_word else text) + "…"


@pytest.mark.parametrize(("words", "mid_word"), [(14, False), (20, False), (14, True)])
def test_a_description_cut_short_and_its_full_article_fold_in_either_order(
    words: int, mid_word: bool
) -> None:
    """Another outlet's feed carries the first 14-20 words of the article and "…": after the
    full article it is a copy; before it, the full article folds into it as its fuller
    version (its opening is the description's, word for word but for a word cut in two).
    Before, neither folded: the description posts 3 keys, of which a long text holds 1 in
    its sample, and the article's first sentence is mostly not in the description."""
    title = "A district in the capital wins national status for artificial intelligence"
    # (a long headline of its own: its keys do not make one shared key of the body "weak")
    line = story("line", title, _cut(words, mid_word), domain="agg.example")
    after = verdict(doc_story("full", SEED_A), line)
    assert after is not None and after.original_key == "full"
    before = verdict(line, doc_story("full", SEED_A))
    assert before is not None and before.original_key == "line" and before.kind == "fuller"
    assert "it continues with 9" in before.reason  # (most of it is new: 96-98 %)


_VOCAB = (
    *("the", "ministry", "said", "chip", "plant", "will", "open", "in", "Dresden"),
    *("next", "year", "with", "3", "billion", "euros", "of", "aid"),
)


@settings(max_examples=200, deadline=None)
@given(
    old=st.lists(st.sampled_from(_VOCAB), min_size=12, max_size=60),
    new=st.lists(st.sampled_from(_VOCAB), min_size=12, max_size=24),
    cut=st.booleans(),
)
def test_a_short_new_text_folds_only_when_its_word_pairs_are_all_in_the_earlier_one(
    old: list[str], new: list[str], cut: bool
) -> None:
    """The one-line rule as an invariant over any words: a new text of under 25 words that the
    verifier calls a copy has every word pair in the earlier text (but for a last word before
    "…", which a feed may have cut in two), or, as its fuller version, holds every word pair
    of the earlier text (but for one: a word cut in two)."""
    from bot.dedup_verify import compare, prepare

    line = " ".join(new) + ("…" if cut else ".")
    verdict_ = compare(prepare("t", line), prepare("t", " ".join(old) + "."))
    if verdict_ is not None and verdict_.copy:
        mine = set(itertools.pairwise(new[:-1] if cut else new))
        theirs = set(itertools.pairwise(old))
        if verdict_.kind == "fuller":
            assert len(theirs - mine) <= 1
        else:
            assert mine <= theirs


_STOCK = "Listen to the latest episode of our weekly podcast on technology policy and power."


def test_one_outlets_stock_description_folds_nothing() -> None:
    """A feed that gives every item the same one-line description: its next item, under its
    own headline, is new (one outlet repeating a line is its feed's furniture, not a copy)."""
    deduper = Deduper()
    for n, title in enumerate(["Who owns the chip supply chain", "Europe's AI rulebook"]):
        episode = story(f"ep{n}", f"Episode {n}: {title}", _STOCK)
        assert deduper.check(episode) is None
        deduper.add(episode)


def test_an_aggregators_stock_description_folds_nothing() -> None:
    """An aggregator's feed links each item to another site but gives them one line: one
    feed repeating a line is its furniture, whatever the items' sites."""
    deduper = Deduper()
    for n, site in enumerate(["a.example", "b.example"]):
        item = story(f"i{n}", f"Headline number {n} of the day", _STOCK, domain=site, feed="Agg")
        assert deduper.check(item) is None
        deduper.add(item)


def test_a_line_several_outlets_carry_for_different_stories_folds_nothing() -> None:
    """Two earlier stories of two outlets that are not copies of one another both carry the
    line: it is stock text (an aggregator's or a network's), and a third outlet's is new."""
    deduper = Deduper()
    deduper.add(story("a", "Episode 1: who owns the chip supply chain", _STOCK, domain="a.example"))
    deduper.add(story("b", "Episode 9: Europe's AI rulebook", _STOCK, domain="b.example"))
    assert deduper.check(story("c", "Subsidies, again", _STOCK, domain="c.example")) is None
    lone = Deduper()
    lone.add(story("a", "Episode 1: who owns the chip supply chain", _STOCK, domain="a.example"))
    assert lone.check(story("c", "Subsidies, again", _STOCK, domain="c.example")) is not None


@pytest.mark.parametrize("parts", [2, 3])
def test_teaser_of_a_long_form_piece_finds_it(parts: int) -> None:
    """A long text posts a bottom-k sketch of its shingles, which keeps few of its first
    paragraphs' keys once it runs to thousands of words; it also posts the keys of its lead,
    so the teaser of its first two paragraphs is still verified against it and folds."""
    from bot.dedup_text import features

    long = _long_form(parts)
    assert features(long[0], "\n".join(long[1])).n_tokens > 3000
    match = verdict(doc_story("full", long), doc_story("teaser", _teaser(long)))
    assert match is not None and match.original_key == "full"


def test_full_article_after_its_teaser_folds_as_a_fuller_version() -> None:
    match = verdict(doc_story("teaser", _teaser(SEED_A)), doc_story("full", SEED_A))
    assert match is not None and match.original_key == "teaser"
    assert match.kind == "fuller" and "fuller version" in match.reason


def test_follow_up_reusing_background_is_new_news() -> None:
    """A new lead (another story's) over two background paragraphs of the first, verbatim."""
    other = recipes.source("text:entity_week1")
    follow = (other[0], [*other[1][:2], *SEED_A[1][2:4]])
    match = verdict(doc_story("first", SEED_A), doc_story("follow", follow))
    assert match is None


def test_texts_differing_in_their_last_word_are_not_the_same_text() -> None:
    """The exact-text stage hashes the whole token sequence: a correction of the text's very
    last figure was "the same text as an earlier story" (the shingle keys barely weigh a
    run's last token)."""
    title, paras = SEED_A
    first = (title, [*paras, "The second phase is due to open in 2027."])
    fixed = (title, [*paras, "The second phase is due to open in 2028."])
    assert verdict(doc_story("first", first), doc_story("fixed", fixed)) is None


@pytest.mark.parametrize(
    ("lead", "background", "read"),
    [
        ("text:results_semi1", 2, False),  # 9 numbers the first story lacks: never a copy
        ("text:entity_week1", 3, True),  # 1: a rewording could keep it, so the texts are read
    ],
)
def test_a_follow_up_the_sketches_rule_out_is_not_read_from_the_store(
    lead: str, background: int, read: bool
) -> None:
    """Another story's lead over background paragraphs of the first. With two paragraphs,
    the sketches share little both ways (8 of the new text's 17 sampled keys, 8 of the first
    story's 62), and with new numbers no copy rule of the verifier can hold: the earlier text
    is not read (1 verification in 6 on the bench; it was, its containment 0.47 being over
    VERIFY_FROM). It is new news either way."""
    other = recipes.source(lead)
    follow = (other[0], [*other[1][:3], *SEED_A[1][2 : 2 + background]])
    reads: list[str] = []
    texts = {"first": (SEED_A[0], "\n".join(SEED_A[1]))}
    deduper = Deduper(text_of=lambda key: reads.append(key) or texts.get(key))
    deduper.load([doc_story("first", SEED_A)])  # loaded: its text is in the store only
    assert deduper.check(doc_story("follow", follow)) is None
    assert reads == (["first"] if read else [])


def test_full_article_after_a_teaser_full_of_furniture_folds() -> None:
    """A teaser of one paragraph under a plug, a caption, share buttons, a newsletter line and
    a trailer shares few of its keys with the full article (3 of 11): the full article, more
    than twice as long, is still verified against it rather than ruled out on sketches."""
    furniture = [
        "Subscribe to The Daily Ledger for just $1 a week for the first 12 weeks.",
        "Photo: Maria Lopez/Reuters",
        "Share on Facebook Share on Twitter Email Print",
        "Sign up for our newsletter to get the top technology stories in your inbox every morning.",
        "Read the full story at The Daily Ledger.",
        "Advertisement",
        "Most Read",
        "© 2020 All rights reserved.",
    ]
    teaser = (SEED_A[0], [SEED_A[1][1], *furniture])
    match = verdict(doc_story("teaser", teaser), doc_story("full", SEED_A))
    assert match is not None and match.kind == "fuller"


def test_correction_of_a_key_figure_is_new_news() -> None:
    title, paras = SEED_A
    changed = [p.replace("1,000", "1,400") for p in paras]
    assert changed != paras
    assert verdict(doc_story("first", SEED_A), doc_story("fixed", (title, changed))) is None


def test_features_are_computed_once_for_check_and_add(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.dedup

    calls = []
    real = bot.dedup.features
    monkeypatch.setattr(bot.dedup, "features", lambda *a: calls.append(a) or real(*a))
    deduper = Deduper()
    new = doc_story("seed", SEED_A)
    deduper.check(new)
    deduper.add(new)
    assert len(calls) == 1


def test_verification_reads_older_texts_through_text_of() -> None:
    texts = {"seed": (SEED_A[0], "\n".join(SEED_A[1]))}
    reads: list[str] = []
    deduper = Deduper(text_of=lambda key: reads.append(key) or texts.get(key))
    deduper.load([doc_story("seed", SEED_A)])  # loaded from the store: text not kept
    match = deduper.check(doc_story("teaser", _teaser(SEED_A)))
    assert reads == ["seed"] and match is not None and "boilerplate" in match.reason


def test_same_day_real_feeds_produce_no_cross_outlet_copy(corpus: Path) -> None:
    """The 13 real 2022-04 feeds, polled together: other outlets' own reporting of the same
    days' news is never folded (the text is read from ../shared/corpus, not the repo)."""
    files = sorted(p.name for p in (corpus / "feeds-real").glob("*2022-04*"))
    assert len(files) == 13
    deduper, outlet, folded = Deduper(), {}, []
    for name in files:
        for i, (title, body) in enumerate(recipes._feed(name)):
            item = story(f"{name}#{i}", title, body)
            match = deduper.check(item)
            if match and outlet[match.original_key] != name:
                folded.append((item.key, match.original_key, match.reason))
            deduper.add(item.with_(duplicate=match))
            outlet[item.key] = name
    assert folded == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        "\n\n\n",
        "Read the full story at X.\nAdvertisement\nPhoto: Reuters",  # boilerplate only
        "😀 " * 500,
        "北京亦庄 AI hub Беларусь 반도체 ,,, ... !!! " * 300,
        "x" * 100_000,  # one 100k-character word
        "\n".join(SEED_A[1]) + "\n" + "lorem ipsum dolor sit amet " * 200_000,  # > 5 MB
        "共有1.2.3萬家 1,2,3万 " + "9" * 500 + "億 1萬. 萬1 " * 50,  # broken myriad numbers
        "ارتفع السعر ٣٥ دولارا إلى ١٢٠٠ في ٢٠٢٤. मूल्य १२३ रुपये। " * 40,  # other digits
        "臺積電\ud800亦莊\x00經濟 " * 100,  # a lone surrogate cannot be handed to OpenCC
    ],
    ids=[
        "empty",
        "blank",
        "boilerplate",
        "emoji",
        "mixed",
        "long-word",
        "5mb",
        "myriads",
        "digits",
        "surrogate",
    ],
)
def test_verifier_survives_hostile_text(body: str) -> None:
    from bot.dedup_verify import compare, prepare

    for other in (body, "\n".join(SEED_A[1])):
        verdict_ = compare(prepare("t", body), prepare("t", other))
        assert verdict_ is None or verdict_.reason
    texts = {"seed": (SEED_A[0], "\n".join(SEED_A[1]))}
    deduper = Deduper(text_of=texts.get)
    deduper.load([doc_story("seed", SEED_A)])
    deduper.check(story("hostile", "Hostile", body))  # verified against the seed: no crash


def test_a_hostile_title_does_not_grow_the_index() -> None:
    """A 20,000-word title: the index keeps its first MAX_TITLE_TOKENS words (it posted every
    word pair, 68 KB a story), so a story stays under 1 KB of postings and packed features."""
    from bot.dedup_text import features, pack

    title = " ".join(f"word{i}" for i in range(20_000))
    deduper = Deduper()
    for i in range(20):
        deduper.add(story(f"k{i}", f"{title} {i}", "Body text of the story. " * 20))
    deduper.load([])  # merges the postings
    assert deduper.memory_bytes() / 20 < 1024
    assert len(pack(features(title, "Body text of the story. " * 20))) < 1024
    from bot.dedup_text import MAX_TITLE_TOKENS

    assert len(features(title, "").title) == MAX_TITLE_TOKENS


def test_verification_reads_a_bounded_number_of_sentences() -> None:
    """Aligning sentences costs the product of their counts: 5,000 two-word sentences (20,000
    characters) are verified on the first MAX_SENTENCES, and the check still decides."""
    from bot.dedup_verify import MAX_SENTENCES, prepare

    old = " ".join(f"Ab{i} cd." for i in range(5000))
    new = " ".join(f"Ab{i} cd." for i in range(4999)) + " End x."
    text = prepare("t", new)
    assert len(text.sentences) == MAX_SENTENCES
    assert text.tokens == 2 * MAX_SENTENCES
    assert text.grams == frozenset().union(*(s.grams for s in text.sentences))
    deduper = Deduper(text_of={"old": ("Dense list of items", old)}.get)
    deduper.add(story("old", "Dense list of items", old))
    match = deduper.check(story("new", "Dense list of items", new))
    assert match is not None and f"{MAX_SENTENCES} of its {MAX_SENTENCES}" in match.reason


def test_an_original_checked_against_several_copies_is_read_and_split_once() -> None:
    texts = {"seed": (SEED_A[0], "\n".join(SEED_A[1]))}
    reads: list[str] = []
    deduper = Deduper(text_of=lambda key: reads.append(key) or texts.get(key))
    deduper.load([doc_story("seed", SEED_A)])
    for n in range(3):
        copy = story(f"teaser-{n}", *_teaser(SEED_A), url=f"https://m{n}.example/t")
        match = deduper.check(copy)
        assert match is not None and match.original_key == "seed"
        deduper.add(copy.with_(duplicate=match))
    assert reads == ["seed"]


# The fast paths below must give what the general ones give (they exist for speed only).
SPLIT_CASES = [
    'He said "no." Then he left! Did he? Yes.',
    "Shares rose 3.5% to $7.50 on Friday. Analysts (at Nomura) agreed.) Next one",
    "No sentence end here, only commas, and U.S. initials",
    "It ends with a quote.\u2019 And \u2018another one.\u201d Last",
    "Mr. Smith met Dr. Jones at 10 a.m. in St. Louis.   Then?! They left...  Fine",
    "Mixed \u5317\u4eac\u3002\u4e0a\u6d77 text. And more",
    "Full-width\uff01 Question\uff1f Latin after. Done",
]


@pytest.mark.parametrize("paragraph", SPLIT_CASES)
def test_latin_sentence_split_agrees_with_the_general_split(paragraph: str) -> None:
    from bot.dedup_text import clean
    from bot.dedup_verify import _SENTENCE, _SENTENCE_LATIN, _WIDE, prepare

    general = _SENTENCE.split(clean(paragraph))  # prepare reads NFKC text
    if not _WIDE.search(clean(paragraph)):
        assert _SENTENCE_LATIN.split(clean(paragraph)) == general
    assert [s.text for s in prepare("t", paragraph).sentences] == [
        part for part in general if any(c.isalnum() for c in part)
    ]


@pytest.mark.parametrize("text", [*SPLIT_CASES, "\n".join(SEED_A[1]), "\n".join(SEED_B[1])])
def test_name_scan_finds_what_the_lookbehind_pattern_finds(text: str) -> None:
    import re

    from bot.dedup_text import _CAPS

    reference = re.compile(r"(?<=[\w,;:] )[A-Z\u00c0-\u00de\u0391-\u03a9\u0410-\u042f]\w+")
    assert _CAPS.findall(text) == reference.findall(text)


@pytest.mark.parametrize(
    "values",
    [[], [7], [3, 3, 3], [5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], list(range(500, 0, -1)) * 2],
)
@pytest.mark.parametrize("dtype", ["uint16", "uint32", "int32"])
def test_unique_is_numpys_sorted_unique(values: list[int], dtype: str) -> None:
    import numpy as np

    from bot.dedup_text import unique

    array = np.array(values, dtype)
    got = unique(array)
    assert got.dtype == array.dtype and got.tolist() == np.unique(array).tolist()


@pytest.mark.parametrize(
    "counts",
    [[3], [1, 1, 1], [2, 5, 5, 1, 5, 2, 2, 3, 3, 1, 5, 4], [1] * 20 + [2] * 3 + [1] * 20],
)
def test_candidates_are_taken_by_count_then_newest_first(counts: list[int]) -> None:
    import numpy as np

    from bot.dedup import MAX_CANDIDATES, _top

    array = np.array(counts, np.int64)
    expected = np.lexsort((-np.arange(len(array)), -array))[:MAX_CANDIDATES]
    assert _top(array, MAX_CANDIDATES).tolist() == expected.tolist()


# ------------------------------------------------------------------ rewordings (authored)

_ORIGINAL = (
    "Dutch regulator fines Vantor Systems over chip exports",
    [
        "The Dutch trade regulator fined Vantor Systems 12 million euros on Tuesday for "
        "shipping lithography parts to Huawei without a licence.",
        "Vantor, based in Eindhoven, sold the parts between March and October last year, "
        "the regulator said in a statement.",
        "Minister Karin Vos told parliament in The Hague that the case showed why export "
        "rules needed stronger enforcement.",
        "The company said it would appeal and that it had reported the shipments itself.",
        "Huawei did not reply to a request for comment from Reuters.",
        "Shares in Vantor fell sharply in Amsterdam after the announcement.",
    ],
)
_REWORDED = (
    "Vantor Systems hit with fine for sending chip parts to Huawei",
    [
        "Vantor Systems must pay 12 million euros after the Dutch trade watchdog found on "
        "Tuesday that it sent lithography components to Huawei with no licence.",
        "Eindhoven firm Vantor sold those components from March until October last year, "
        "according to the watchdog's statement.",
        "Speaking to parliament in The Hague, Minister Karin Vos argued the affair proved "
        "export rules needed tougher policing.",
        "Vantor plans an appeal and says it reported the shipments on its own.",
        "Reuters asked Huawei for comment but got no answer.",
        "In Amsterdam, Vantor stock dropped steeply once the news broke.",
    ],
)


@pytest.mark.parametrize(
    ("later", "folds"), [(timedelta(hours=3), True), (timedelta(days=3), False)]
)
def test_an_update_on_top_folds_the_same_day_and_is_a_follow_up_days_later(
    later: timedelta, folds: bool
) -> None:
    """The whole story under one new sentence without new facts: a wire UPDATE hours later, a
    follow-up re-running the story days later."""
    title, paras = _ORIGINAL
    top = (
        "The case was back on the agenda as lawmakers met again to discuss the fine and what "
        "it means for other suppliers. Several members asked whether the penalty was large "
        "enough to deter others, and officials promised to answer in writing."
    )
    first = doc_story("first", _ORIGINAL, when=T0 - later)
    match = verdict(first, doc_story("next", (title, [top, *paras])))
    assert (match is not None) == folds
    if not folds:
        from bot.dedup_verify import compare, prepare

        assert (
            compare(prepare(title, "\n".join([top, *paras])), prepare(*first_text())).rule
            == "update"
        )


def first_text() -> tuple[str, str]:
    return _ORIGINAL[0], "\n".join(_ORIGINAL[1])


def test_rewording_in_the_same_order_folds_and_says_so() -> None:
    """Each sentence reworded in place, the same names and numbers: a copy, although few
    word 4-grams are shared (the index alone misses it; the shared facts get it verified)."""
    match = verdict(doc_story("first", _ORIGINAL), doc_story("spun", _REWORDED))
    assert match is not None and match.original_key == "first"
    assert "rewording in the same order" in match.reason
    assert "6 of its 6 sentences" in match.reason


_COURT = (
    "Dutch court upholds chip export fine",
    [
        "A court in Rotterdam on Thursday upheld a fine of 12 million euros against a "
        "Dutch maker of lithography parts for shipping 40 modules to China without a "
        "licence.",
        "The company, which employs 2,300 people, had argued that the parts were spare "
        "components that needed no permit.",
        "Judges said the rules had applied since 2023 and that the firm knew it.",
        '"Export controls are not a suggestion, they are the law," the presiding judge '
        "said in a written ruling.",
        "The company said it would study the judgment before deciding whether to appeal.",
        "Its shares fell 6 percent in Amsterdam trading after the decision.",
    ],
)
_COURT_REWORDED = (
    "Netherlands judges back penalty over lithography shipments",
    [
        "A court in Rotterdam on Thursday upheld the 12 million euro fine against the "
        "Netherlands-based maker of lithography parts over 40 modules it shipped to China "
        "with no licence.",
        "The supplier, with a workforce of 2,300 in Eindhoven and Venlo, had claimed the "
        "shipments were spares that required no permit.",
        "According to Judge Maria Jansen, the regime has been in force since 2023 and the "
        "supplier was aware of it.",
        '"Export controls are not a suggestion, they are the law," the presiding judge '
        "said in a written ruling.",
        "The supplier plans to examine the ruling before it decides on an appeal.",
        "In Amsterdam, its stock dropped 6 percent once the decision was published.",
    ],
)


def test_rewording_keeping_every_number_but_few_names_is_verified_and_folds() -> None:
    """Few phrases shared (21 % of word 4-grams), under half of its names the earlier story's,
    but all five numbers kept: verified on full text, where the in-order rule folds it."""
    match = verdict(doc_story("first", _COURT), doc_story("spun", _COURT_REWORDED))
    assert match is not None and match.original_key == "first"
    assert "rewording in the same order" in match.reason


def test_rewording_under_a_new_lead_is_new_news() -> None:
    """The same background reworded under a new first sentence: a follow-up."""
    title, paras = _REWORDED
    lead = (
        "A court in Rotterdam on Friday suspended the fine while judges examine whether "
        "the regulator followed its own procedure."
    )
    first = doc_story("first", _ORIGINAL)
    assert verdict(first, doc_story("next", (title, [lead, *paras[1:]]))) is None
    assert verdict(first, doc_story("next", (title, [lead, *paras]))) is None


def test_rewording_with_a_new_number_is_new_news() -> None:
    title, paras = _REWORDED
    changed = [paras[0].replace("12 million", "15 million"), *paras[1:]]
    assert verdict(doc_story("first", _ORIGINAL), doc_story("next", (title, changed))) is None


def _compare(new: tuple[str, list[str]], old: tuple[str, list[str]]) -> Verdict:
    from bot.dedup_verify import compare, prepare

    verdict = compare(prepare(new[0], "\n".join(new[1])), prepare(old[0], "\n".join(old[1])))
    assert verdict is not None
    return verdict


def test_correction_of_the_lead_figure_is_new_news_when_the_new_figure_is_elsewhere() -> None:
    """The lead's 12 million became 15 million; the old text already had a "15" (cases since
    2015): the figure is gone from the new text, which is proof enough in the lead."""
    title, paras = _ORIGINAL
    first = (title, [*paras, "The regulator has opened 15 export cases since 2015."])
    fixed = (title, [paras[0].replace("12 million", "15 million"), *first[1][1:]])
    assert verdict(doc_story("first", first), doc_story("fixed", fixed)) is None
    assert "changes a figure (12 -> 15)" in _compare(fixed, first).reason


def test_changed_figures_in_a_sentence_made_of_figures_are_found() -> None:
    """Four of the sentence's seven word pairs hold a figure: changed, they take it under the
    closeness a changed figure is looked for at, unless figures are read as one token."""
    title, paras = _ORIGINAL
    line = "Its average contract was worth {}, from {} in October."
    first = (title, [*paras[:3], line.format("£180,226", "£180,444"), *paras[3:]])
    fixed = (title, [*paras[:3], line.format("£363,226", "£363,444"), *paras[3:]])
    assert verdict(doc_story("first", first), doc_story("fixed", fixed)) is None
    assert "changes a figure (180,226 -> 363,226)" in _compare(fixed, first).reason


def _with_plants(count: str) -> tuple[str, list[str]]:
    """_ORIGINAL whose first figure is in its fourth sentence, with a "3" elsewhere too."""
    title, paras = _ORIGINAL
    plants = f"Vantor runs {count} plants in the Netherlands and has sold 3D printers since 2011."
    return title, [paras[1], paras[2], paras[3], plants, *paras[4:], "It employs 3 lawyers."]


def test_correction_of_the_story_first_figure_is_new_news_wherever_it_sits() -> None:
    """The same sentence but for the story's first figure (3 -> 9 plants): a correction of its
    key figure, though a "3" is still elsewhere in the new text (3D, 3 lawyers)."""
    first, fixed = _with_plants("3"), _with_plants("9")
    assert verdict(doc_story("first", first), doc_story("fixed", fixed)) is None
    assert "changes a figure (3 -> 9)" in _compare(fixed, first).reason


def test_correction_of_the_story_first_figure_in_a_short_sentence_is_new_news() -> None:
    """'Vantor has 3 plants.' -> '9 plants.': two of its three word pairs changed, so the
    sentence is not shared at all; it is still the old sentence but for the key figure."""
    title, paras = _ORIGINAL

    def text(count: str) -> tuple[str, list[str]]:
        return title, [paras[1], f"Vantor has {count} plants.", *paras[2:], "It has 3 labs."]

    first, fixed = text("3"), text("9")
    assert verdict(doc_story("first", first), doc_story("fixed", fixed)) is None
    assert "changes a figure (3 -> 9)" in _compare(fixed, first).reason


def test_a_later_figure_corrected_where_the_old_one_is_still_in_the_text_is_a_copy() -> None:
    """Only the key figure weighs so: a later figure swapped in one sentence while it is still
    found elsewhere in the new text is a minor correction of the same article (the real BBC
    pairs label such versions copies)."""
    title, paras = _with_plants("3")
    fixed = (title, [p.replace("3 lawyers", "4 lawyers") for p in paras])
    assert verdict(doc_story("first", (title, paras)), doc_story("fixed", fixed)) is not None


def test_rewording_under_a_new_opening_sentence_is_new_news() -> None:
    """Most words are the earlier story's and most of it is there, but the opening sentence
    is new (neither shared nor a rewording of one): a follow-up's lead, not a rewording."""
    title, paras = _ORIGINAL
    lead = (
        "Questions about how closely the Dutch trade regulator watches sales of chip "
        "equipment abroad have grown louder in the weeks since the fine against Vantor "
        "Systems was first discussed by members of parliament."
    )
    match = verdict(doc_story("first", _ORIGINAL), doc_story("next", (title, [lead, *paras[1:5]])))
    assert match is None


@pytest.mark.parametrize(
    ("text", "proper"),
    [
        (
            "Die Bundesregierung will die Ausfuhr von Chemikalien nach China nicht verbieten. "
            "Ein Sprecher sagte am Freitag, das Kanzleramt verfolge keine Pläne für ein "
            "Exportverbot. Die Unternehmen der Branche begrüßten die Klarstellung.",
            False,
        ),
        (
            "England will face Samoa, France, Italy, Georgia and Chinese Taipei in Hong Kong. "
            "New Zealand and Fiji are in Pool A with Scotland, Ireland and Kenya.",
            True,
        ),
    ],
)
def test_capitals_count_as_names_except_in_german(text: str, proper: bool) -> None:
    """German capitalises every noun: its capitals are not names, so a reworded German copy
    does not 'swap' dozens of names; an English text dense with names keeps them."""
    from bot.dedup_verify import prepare

    prepared = prepare("", text)
    assert prepared.proper is proper
    assert bool(prepared.names) is proper


def test_brief_verification_gives_every_copy_verdict_and_stops_only_on_new_news(
    corpus: Path,
) -> None:
    """`compare(brief=True)` (what the Deduper calls) stops early only where the full
    comparison says "new", and gives every copy verdict word for word (copies pair set)."""
    sys.path.insert(0, str(Path(__file__).parent / "copies_pairs"))
    import pairset

    from bot.dedup_verify import compare, prepare

    stopped = 0
    try:
        pairs = [(pairset.build(p["b"]), pairset.build(p["a"])) for p in pairset.pairs()]
    except pairset.Unavailable as exc:
        pytest.skip(str(exc))
    for new, old in pairs:
        full = compare(prepare(*new), prepare(*old))
        brief = compare(prepare(*new), prepare(*old), brief=True)
        if full is None or full.copy:
            assert brief == full
        else:
            assert brief is not None and not brief.copy
            stopped += brief != full
    assert stopped >= 100  # the shortcut is taken (else this test would test nothing)


@pytest.mark.parametrize(
    "text",
    [
        "CORRECTION: an earlier version misstated the figure.",
        "Clarification: the plant opens in May.",
        "Clarıfication (a dotless i) and clarİfication (a dotted capital I).",
        "Berichtigung: In einer früheren Fassung hieß es 5 Millionen.",
        "KORREKTUR der Zahl; Rectificatif; Correctif; Rettifica.",
        "Corrección: la cifra era otra. Correção do valor.",
        "更正：此前报道有误。訂正します。정정 보도.",
        "Shares rose 3% on Friday, the company said.",
        "",
    ],
)
def test_a_text_without_the_correction_hint_never_matches_the_correction_pattern(
    text: str,
) -> None:
    from bot.dedup_verify import _CORRECTION, _may_correct

    if _CORRECTION.search(text):
        assert _may_correct(text)
    for word in text.split():  # each word alone too (what a sentence may hold)
        assert not _CORRECTION.search(word) or _may_correct(word)


def test_possessive_token_pattern_gives_the_backtracking_patterns_tokens() -> None:
    import re

    from bot.dedup_text import _TOKEN

    reference = re.compile(r"\w+(?:[.,]\d+)*")
    for text in [
        *SPLIT_CASES,
        "US$7.5bn, 1,000,000.25 and 3.5.6 or a.1 b,22, 7., ,8 x_y 1.2.c",
        "\n".join(SEED_A[1]),
        CJK[1],
    ]:
        assert _TOKEN.findall(text) == reference.findall(text)


def test_one_scan_finds_every_cjk_or_full_width_character() -> None:
    from bot.dedup_text import _HAS_CJK
    from bot.dedup_verify import _WIDE, _WIDE_OR_CJK

    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert set(_WIDE_OR_CJK.findall(text)) == set(_WIDE.findall(text)) | set(_HAS_CJK.findall(text))

"""aliases: the taxonomy's alias table widens searches across scripts and names (亦庄 ≈ Yizhuang ≈
E-Town, 人工智能 ≈ artificial intelligence), from the CLI and from a signed `/hubnews` request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import config_file  # noqa: F401  (fixture: the two SCMP sample feeds)
from test_slack_app import Running, running  # noqa: F401  (fixture: the app over real HTTP)

from bot.aliases import alias_table, bundled_aliases, expand, expand_query
from bot.cli import main
from bot.query import parse_query

SEED_TITLE = "Beijing tech park eyes AI hub"


@pytest.mark.parametrize(
    ("term", "also"),
    [
        ("亦庄", "Yizhuang"),
        ("Yizhuang", "亦庄"),
        ("E-Town", "Yizhuang"),
        ("e-town", "亦庄"),
        ("MOST", "Ministry of Science and Technology"),
        ("科技部", "MOST"),
        ("人工智能", "artificial intelligence"),
        ("KI", "人工智能"),
        ("반도체", "semiconductor"),
        ("Subventionen", "补贴"),
    ],
)
def test_a_name_expands_to_its_other_names_in_every_script(term: str, also: str) -> None:
    names = expand(term, bundled_aliases())
    assert names[0] == term and also in names


@pytest.mark.parametrize(
    ("term", "also"),
    [
        ("亦莊", "亦庄"),  # traditional, as Hong Kong and Taiwan write it
        ("亦莊", "Yizhuang"),  # ... and the names of what the simplified spelling names
        ("亦庄", "亦莊"),
        ("台积电", "台積電"),
        ("經濟技術開發區", "经济技术开发区"),  # in no alias table: the script alone
    ],
)
def test_a_chinese_word_expands_to_its_spelling_in_the_other_script(term: str, also: str) -> None:
    assert also in expand(term, bundled_aliases())


@pytest.mark.parametrize("term", ["most", "Most", "yizhuang park", "cheese"])
def test_words_that_name_nothing_are_left_alone(term: str) -> None:
    assert expand(term, bundled_aliases()) == (term,)  # acronyms are case-sensitive


def test_expansion_is_pure_and_keeps_filters() -> None:
    table = alias_table([("Yizhuang", "亦庄"), ("Zhongguancun", "中关村")])
    query = parse_query("亦庄 OR 中关村 robots tag:ai source:scmp.com")
    widened = expand_query(query, table)
    assert widened.groups == (
        ("亦庄", "亦莊", "Yizhuang", "中关村", "中關村", "Zhongguancun"),
        ("robots",),
    )
    assert (widened.tags, widened.sources) == (query.tags, query.sources)
    assert query.groups == (("亦庄", "中关村"), ("robots",))  # the input is not changed


@pytest.mark.parametrize("text", ["亦庄", "E-Town", "人工智能 tag:industrial-policy"])
def test_cli_search_finds_the_english_seed_story_from_other_names(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,  # noqa: F811
    text: str,
) -> None:
    main(["poll", "--once", "--config", str(config_file)])
    capsys.readouterr()
    assert main(["search", *text.split(), "--json", "--config", str(config_file)]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(SEED_TITLE in hit["title"] for hit in hits), hits


@pytest.mark.parametrize("text", ["亦庄", "E-Town", "人工智能 tag:industrial-policy"])
def test_signed_slash_command_finds_the_seed_story_from_other_names(
    running: Running,  # noqa: F811
    text: str,
) -> None:
    response, rid = running.command(text)
    assert response.status_code == 200
    answer = running.text_of(rid)
    assert SEED_TITLE in answer and "No stories match" not in answer

"""Regenerate `pairs.json` (run once by hand: `python tests/dedup_devset/make_pairs.py`).

Picks BBC articles deterministically (sorted ids, long enough, not in any duplicate pair)
and writes references + recipes only. Labels: "copy" (fold) or "new" (alert).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from pathlib import Path

from recipes import CORPUS, bbc_ids, source

HERE = Path(__file__).resolve().parent

FOLLOW_UPS = [  # team-written openings with new facts (a follow-up days later)
    "Three days later, regulators said they had opened a formal inquiry, with commissioner "
    "Helena Marsh giving the parties until 14 March to answer 23 written questions.",
    "On Monday the group confirmed that 1,850 jobs would go at its plants in Leeds and "
    "Swindon, as chairman Robert Ainsley said the review had found 420m of extra costs.",
    "The deal collapsed on Thursday after the Frankfurt-based investor Kessler Capital "
    "withdrew its 2.3bn offer, citing concerns raised by the Office of Fair Trading.",
    "A week on, figures from the Office for National Statistics showed 640,000 people were "
    "affected, nearly double the 350,000 first estimated by ministers in Westminster.",
    "Police in Manchester arrested two men aged 34 and 41 on Friday in connection with the "
    "case, Detective Inspector Claire Dobson of Greater Manchester Police said.",
    "The European Court of Justice in Luxembourg ruled on Tuesday that the 2003 rules were "
    "unlawful, ordering refunds to about 12,000 firms in Belgium and the Netherlands.",
    "Shares fell 9% in Tokyo on Wednesday after Nomura analyst Kenji Sato cut his forecast to "
    "47bn yen, the lowest since 1998.|Trading volume was the highest since 2001.",
    "On Sunday Culture Secretary Tessa Jowell announced an inquiry led by Lord Puttnam, due "
    "to report by 30 June, after 5,600 complaints were received.",
    "Two weeks later, the union Amicus said 78% of its 3,400 members had voted for strike "
    "action, with walkouts planned at Dagenham and Southampton from 21 April.",
    "The Senate in Washington voted 64 to 35 on Thursday to block the measure, a setback for "
    "Senator Bill Frist, who had promised a vote before the Easter recess.",
]
UPDATES = [  # team-written new top paragraphs (an update of the same article)
    "Updated: the company's shares closed 3% higher in London on the news, and a spokesman "
    "said more details would follow on Friday.",
    "This story has been updated with comment from the company, which said it would respond "
    "formally within 28 days.",
    "Update, 16:40 GMT: a spokeswoman confirmed the figures to the BBC and said there would be "
    "no further statement until the annual meeting in May.",
    "Updated at 11:00 with reaction from analysts at Barclays, who called the figures broadly "
    "in line with expectations.",
]
OWN_REPORTING = [  # same event, different outlets, 2022-04 feeds (GPL: references only)
    ("telegraph-2022-04.xml#41", "nytimes-topstories-2022-04.xml#44"),
    ("nytimes-topstories-2022-04.xml#44", "financialtimes-uk-2022-04.xml#17"),
    ("financialtimes-uk-2022-04.xml#17", "buzzfeed-uk-2022-04.xml#56"),
    ("buzzfeed-uk-2022-04.xml#56", "huffpost-frontpage-2022-04.xml#38"),
    ("huffpost-frontpage-2022-04.xml#38", "thenextweb-2022-04.xml#2"),
    ("telegraph-2022-04.xml#41", "financialtimes-uk-2022-04.xml#17"),
    ("engadget-2022-04.xml#3", "macrumors-2022-04.xml#0"),
    ("macrumors-2022-04.xml#0", "thenextweb-2022-04.xml#1"),
    ("engadget-2022-04.xml#3", "thenextweb-2022-04.xml#1"),
    ("engadget-2022-04.xml#11", "theverge-frontpages-2022-04.atom.xml#9"),
    ("financialtimes-uk-2022-04.xml#0", "theguardian-2022-04.xml#64"),
    ("telegraph-2022-04.xml#17", "financialtimes-uk-2022-04.xml#0"),
    ("theguardian-2022-04.xml#5", "telegraph-2022-04.xml#66"),
    ("theguardian-2022-04.xml#68", "nytimes-topstories-2022-04.xml#29"),
    ("theguardian-2022-04.xml#68", "huffpost-frontpage-2022-04.xml#46"),
    ("financialtimes-uk-2022-04.xml#6", "skynews-home-2022-04.xml#6"),
    ("skynews-home-2022-04.xml#6", "telegraph-2022-04.xml#5"),
    ("bbc-world-video-2022-04.xml#2", "bbc-world-video-2022-04.xml#4"),
    ("financialtimes-uk-2022-04.xml#21", "financialtimes-uk-2022-04.xml#22"),
]
BBC_REAL = [  # real BBC pairs with 50-75% shared 4-grams, outside bbc-duplicates.json, read
    # and labelled by hand: (a, b, label, kind)
    ("politics/327", "politics/328", "new", "bbc-follow-up"),  # denies claim / "not leant on"
    ("tech/018", "tech/190", "new", "bbc-follow-up"),  # chip to be unveiled / first look
    ("sport/226", "sport/232", "new", "bbc-follow-up"),  # will be unveiled / unveiled
    ("business/010", "business/291", "new", "bbc-follow-up"),  # ruling / firms hail ruling
    ("entertainment/038", "entertainment/355", "new", "bbc-follow-up"),  # before / during
    ("tech/173", "tech/141", "new", "bbc-follow-up"),  # poised to top chart / tops it
    ("tech/101", "tech/123", "new", "bbc-follow-up"),  # site blocked / attack prompted it
    ("politics/294", "politics/312", "new", "bbc-follow-up"),  # strike ballot / talks fail
    ("entertainment/249", "entertainment/251", "new", "bbc-follow-up"),  # nominated / won
    ("politics/374", "politics/409", "new", "bbc-follow-up"),  # conference speech / preview
    ("entertainment/152", "entertainment/163", "new", "bbc-template"),  # auction stories
    ("business/138", "business/152", "new", "bbc-template"),  # daily oil-price stories
    ("politics/175", "politics/349", "copy", "bbc-update"),  # same headline, expanded
]
HAND_NEGATIVES = [  # (a, b, kind) team-written texts
    ("text:entity_week1", "text:entity_week2", "template"),
    ("text:results_semi1", "text:results_semi2", "template"),
    ("text:subsidy_miit", "text:subsidy_most", "template"),
    ("text:pr_outlet_a", "text:pr_outlet_b", "press-release"),
    ("text:pr2_outlet_a", "text:pr2_outlet_b", "press-release"),
    ("seed:000", "text:seed_followup", "follow-up"),
    ("seed:001", "text:seed_followup", "follow-up"),
    ("seed:000", "text:seed_same_company", "same-company"),
    ("text:title_only_live", "text:title_only_live_other", "generic-title"),
]


def side(src: str, *recipe: list) -> dict:
    return {"src": src, "recipe": [list(step) for step in recipe]}


def main() -> None:
    dups = json.loads((CORPUS / "articles" / "bbc-duplicates.json").read_text())
    in_pair = {x for p in dups["near_duplicate_pairs"] for x in (p["a"], p["b"])}
    ids = [i for i in bbc_ids() if i not in in_pair]
    long_ = [
        i
        for i in ids
        if len(source("bbc:" + i)[1]) >= 7 and len(" ".join(source("bbc:" + i)[1]).split()) >= 300
    ]
    base = long_[:: max(1, len(long_) // 60)][:60]
    pairs: list[dict] = []

    def add(label: str, kind: str, a: dict, b: dict) -> None:
        pairs.append(
            {"id": f"{len(pairs):03d}-{kind}", "label": label, "kind": kind, "a": a, "b": b}
        )

    add("copy", "seed", side("seed:000"), side("seed:001"))
    add("copy", "update", side("seed:000"), side("seed:000", ["prepend", "seed_update_top"]))
    add("copy", "excerpt", side("seed:000"), side("seed:000", ["excerpt", 2]))
    add("copy", "paraphrase", side("seed:000"), side("seed:000", ["paraphrase", None]))
    add(
        "copy",
        "furniture",
        side("seed:001"),
        side("seed:001", ["furniture", ["bbc:tech/010", "bbc:business/020"]]),
    )
    add(
        "copy",
        "reissue",
        side("seed:000"),
        side(
            "seed:000",
            [
                "set_title",
                "Beijing tech park eyes AI hub worth US$7.5 billion after nod from ministry",
            ],
            ["debris", None],
        ),
    )
    for a, b, kind in HAND_NEGATIVES:
        add("new", kind, side(a), side(b))
    for a, b, label, kind in BBC_REAL:
        add(label, kind, side("bbc:" + a), side("bbc:" + b))
    near = [p for p in dups["near_duplicate_pairs"] if not p["identical_body"]]
    for p in near:
        add("copy", "bbc-near", side("bbc:" + p["a"]), side("bbc:" + p["b"]))
    exact = [p for p in dups["near_duplicate_pairs"] if p["identical_body"]]
    for p in exact[::14]:
        add("copy", "bbc-exact", side("bbc:" + p["a"]), side("bbc:" + p["b"], ["retitle", None]))
    styles = [
        ("retitle-truncate", [["retitle", None], ["standfirst", None], ["truncate", 0.5]]),
        ("update", [["prepend_line", "{update}"]]),
        ("excerpt", [["excerpt", 2]]),
        ("paraphrase", [["paraphrase", None]]),
        ("furniture", [["furniture", ["{other}", "{other2}"]]]),
        ("reorder", [["reorder", None]]),
        ("debris", [["debris", None], ["retitle", None]]),
    ]
    for n, article in enumerate(base[:42]):
        kind, recipe = styles[n % len(styles)]
        fill = {
            "{update}": UPDATES[n % len(UPDATES)],
            "{other}": "bbc:" + base[-1 - n % 9],
            "{other2}": "bbc:" + base[-10 - n % 7],
        }
        steps = json.loads(json.dumps(recipe))
        for step in steps:
            if isinstance(step[1], str):
                step[1] = fill.get(step[1], step[1])
            elif isinstance(step[1], list):
                step[1] = [fill.get(x, x) for x in step[1]]
        a, b = side("bbc:" + article), side("bbc:" + article, *steps)
        if kind == "excerpt" and n % 2:  # the excerpt arrives first
            a, b = b, a
        add("copy", kind, a, b)
    for n, article in enumerate(base[42:52]):
        add(
            "new",
            "follow-up",
            side("bbc:" + article),
            side("bbc:" + article, ["follow_up", FOLLOW_UPS[n]]),
        )
    for n, article in enumerate(base[52:60]):
        others = ["bbc:" + base[(n * 7 + k * 11) % 42] for k in (1, 2, 3)]
        a, b = side("bbc:" + article), side("bbc:" + article, ["roundup", others])
        add("new", "roundup", *((a, b) if n % 2 else (b, a)))
    for a, b in OWN_REPORTING:
        add("new", "own-reporting", side("feed:" + a), side("feed:" + b))
    for a, b in same_company(ids)[:14]:
        add("new", "same-company", side("bbc:" + a), side("bbc:" + b))
    (HERE / "pairs.json").write_text(json.dumps(pairs, indent=1, ensure_ascii=False) + "\n")
    print(len(pairs), "pairs")


def same_company(ids: list[str]) -> list[tuple[str, str]]:
    """BBC articles whose titles share a distinctive capitalised name (not duplicates)."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        for word in set(re.findall(r"\b[A-Z][a-z]{3,}\b", source("bbc:" + i)[0])):
            by_name[word].append(i)
    names = [
        "Yukos",
        "Google",
        "Microsoft",
        "Apple",
        "Sony",
        "Nintendo",
        "Vodafone",
        "Boeing",
        "Airbus",
        "Deutsche",
        "Glazer",
        "Ebbers",
        "Parmalat",
        "Nissan",
        "Tesco",
        "Fiat",
        "Gazprom",
        "Worldcom",
    ]
    out = []
    for name in names:
        group = by_name.get(name, [])
        out += list(itertools.pairwise(group))
        out += list(itertools.pairwise(group))
    return out


if __name__ == "__main__":
    main()

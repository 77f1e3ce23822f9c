"""Votes tune what a channel receives: a channel that voted a tag's weaker stories down stops
getting stories that score no better, other channels are unaffected, and a reset undoes it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot import config
from bot.pipeline import Pipeline
from bot.store import Store
from bot.story import Source, Story, Tag

SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"


def make_config(tmp_path: Path, floors: dict[str, float] | None = None) -> config.Config:
    thresholds = "".join(f'"{tag}" = {value}\n' for tag, value in (floors or {}).items())
    path = tmp_path / "hubnews.toml"
    path.write_text(f"""
database = "hubnews.db"
alert_max_age = "36500d"
[[feeds]]
name = "scmp-tech"
url = "{SAMPLES / "scmp-tech.xml"}"
[[routes]]
channel = "C0VOTED"
tags = ["ai", "industrial-policy"]
[[routes]]
channel = "C0OTHER"
tags = ["ai", "industrial-policy"]
[tag_thresholds]
{thresholds}""")
    return config.load(path, environ={})


def seed_scores(tmp_path: Path) -> dict[str, float]:
    cfg = make_config(tmp_path)
    store = Store(":memory:")
    pipeline = Pipeline(cfg, store, dry_run=True)
    outcome = next(iter(pipeline.poll(cfg.feeds)))
    pipeline.close()
    store.close()
    return {tag.id: tag.score for tag in outcome.stories[0].story.tags}


def voted_down(cfg: config.Config, scores: dict[str, float]) -> Store:
    """A store holding ten earlier alerts that scored like the seed, voted down in C0VOTED."""
    store = Store(cfg.database)
    for n in range(10):
        key = f"earlier-{n}"
        store.save(
            Story(
                key=key,
                url=f"https://example.com/{n}",
                title=f"Earlier {n}",
                source=Source("x", "X", "example.com"),
                published=None,
                tags=tuple(Tag(tag, score) for tag, score in scores.items()),
            )
        )
        store.toggle_vote(key, "not_relevant", "U1", channel="C0VOTED")
    return store


def alerted_to(cfg: config.Config, store: Store) -> tuple[str, ...]:
    pipeline = Pipeline(cfg, store)
    outcome = next(iter(pipeline.poll(cfg.feeds)))
    pipeline.close()
    store.close()
    return outcome.stories[0].channels


def test_votes_raise_a_channels_threshold_above_stories_like_those_voted_down(
    tmp_path: Path,
) -> None:
    scores = seed_scores(tmp_path)
    assert {"ai", "industrial-policy"} <= set(scores)
    # floors a little under the seed's scores, so that votes may lift them above it
    floors = {tag: round(s - 0.05, 3) for tag, s in scores.items()}
    cfg = make_config(tmp_path, floors)
    assert alerted_to(cfg, voted_down(cfg, scores)) == ("C0OTHER",)


def test_a_reset_undoes_the_tuning(tmp_path: Path) -> None:
    scores = seed_scores(tmp_path)
    cfg = make_config(tmp_path, {tag: round(s - 0.05, 3) for tag, s in scores.items()})
    store = voted_down(cfg, scores)
    store.reset_tuning("C0VOTED", "UADMIN")
    assert alerted_to(cfg, store) == ("C0VOTED", "C0OTHER")


def test_without_votes_both_channels_are_alerted(tmp_path: Path) -> None:
    scores = seed_scores(tmp_path)
    cfg = make_config(tmp_path, {tag: round(s - 0.05, 3) for tag, s in scores.items()})
    assert alerted_to(cfg, Store(cfg.database)) == ("C0VOTED", "C0OTHER")


def test_votes_tune_a_route_that_names_its_channel(tmp_path: Path) -> None:
    """Votes carry the channel id; a route written as "#name" is tuned once the name resolves."""
    scores = seed_scores(tmp_path)
    floors = {tag: round(s - 0.05, 3) for tag, s in scores.items()}
    cfg = make_config(tmp_path, floors)
    cfg = replace(cfg, routes=(replace(cfg.routes[0], channel="#voted"), *cfg.routes[1:]))
    store = voted_down(cfg, scores)
    store.set_channel_id("#voted", "C0VOTED")  # as the Slack edge resolves it at start
    assert alerted_to(cfg, store) == ("C0OTHER",)

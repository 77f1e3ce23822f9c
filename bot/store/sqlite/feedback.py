"""The team's verdicts on alerts, from the Slack buttons: one vote per user per alert.

A click on 👍 or 👎 sets the user's vote on that alert; a second click on the same button takes
it back; the other button changes it (`toggle_vote`). Every click is also appended to the
`feedback` log. `tuning_votes` is what `bot.tuning` learns a channel's thresholds from: the
votes cast since the channel's last `/hubnews feedback reset`, with the scores of the tags the
story carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.sqlite.base import StoreBase, from_utc_text, now_utc, utc_text
from bot.tuning import TuningVote

RELEVANT, NOT_RELEVANT = "relevant", "not_relevant"


@dataclass(frozen=True, slots=True)
class Verdict:
    story_key: str
    tag: str | None
    verdict: str  # "relevant" or "not_relevant"
    user: str
    at: datetime
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Vote:
    """The outcome of a click: the user's vote now (None: taken back) and the alert's counts."""

    verdict: str | None
    relevant: int
    not_relevant: int


class FeedbackMixin(StoreBase):
    def toggle_vote(
        self,
        story_key: str,
        verdict: str,
        user: str,
        *,
        tags: tuple[str, ...] = (),
        channel: str | None = None,
    ) -> Vote:
        """Set, change or take back `user`'s vote on the alert of `story_key` in `channel`."""
        if verdict not in (RELEVANT, NOT_RELEVANT):
            raise ValueError(f"unknown verdict {verdict!r}")
        at, where = utc_text(now_utc()), channel or ""
        with self.transaction() as db:
            row = db.execute(
                'SELECT verdict FROM votes WHERE story_key = ? AND channel = ? AND "user" = ?',
                (story_key, where, user),
            ).fetchone()
            if row is not None and row["verdict"] == verdict:
                db.execute(
                    'DELETE FROM votes WHERE story_key = ? AND channel = ? AND "user" = ?',
                    (story_key, where, user),
                )
                now: str | None = None
            else:
                db.execute(  # a changed vote is a new row (a new id: it counts after a reset)
                    'DELETE FROM votes WHERE story_key = ? AND channel = ? AND "user" = ?',
                    (story_key, where, user),
                )
                db.execute(
                    'INSERT INTO votes (story_key, channel, "user", verdict, at) '
                    "VALUES (?, ?, ?, ?, ?)",
                    (story_key, where, user, verdict, at),
                )
                now = verdict
            db.executemany(  # the append-only log of clicks
                'INSERT INTO feedback (story_key, tag, verdict, "user", channel, at) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(story_key, tag, verdict, user, channel, at) for tag in (tags or (None,))],
            )
        up, down = self.vote_counts(story_key, channel)
        return Vote(now, up, down)

    def record_verdict(
        self,
        story_key: str,
        verdict: str,
        user: str,
        *,
        tags: tuple[str, ...] = (),
        channel: str | None = None,
    ) -> None:
        """Set `user`'s vote (never takes it back; for imports and tests)."""
        current = self._one(
            'SELECT verdict FROM votes WHERE story_key = ? AND channel = ? AND "user" = ?',
            (story_key, channel or "", user),
        )
        if current is None or current["verdict"] != verdict:
            self.toggle_vote(story_key, verdict, user, tags=tags, channel=channel)

    def vote_counts(self, story_key: str, channel: str | None) -> tuple[int, int]:
        row = self._one(
            "SELECT SUM(CASE WHEN verdict = 'relevant' THEN 1 ELSE 0 END) AS up, "
            "SUM(CASE WHEN verdict = 'not_relevant' THEN 1 ELSE 0 END) AS down "
            "FROM votes WHERE story_key = ? AND channel = ?",
            (story_key, channel or ""),
        )
        return (int(row["up"] or 0), int(row["down"] or 0)) if row else (0, 0)

    def verdicts(self) -> list[Verdict]:
        """Every current vote, once per tag the story carries (untagged: tag None)."""
        rows = self._rows(
            'SELECT v.story_key, v.channel, v."user", v.verdict, v.at, t.tag FROM votes v '
            "LEFT JOIN stories s ON s.key = v.story_key "
            "LEFT JOIN story_tags t ON t.story_id = s.id ORDER BY v.at, v.story_key, t.tag"
        )
        return [
            Verdict(
                r["story_key"],
                r["tag"],
                r["verdict"],
                r["user"],
                from_utc_text(r["at"]) or now_utc(),
                r["channel"] or None,
            )
            for r in rows
        ]

    def tuning_votes(self) -> list[TuningVote]:
        """Per channel, story and tag: the votes since the channel's last reset."""
        rows = self._rows(
            "SELECT v.channel, t.tag, t.score, v.story_key, "
            "SUM(CASE WHEN v.verdict = 'relevant' THEN 1 ELSE 0 END) AS up, "
            "SUM(CASE WHEN v.verdict = 'not_relevant' THEN 1 ELSE 0 END) AS down "
            "FROM votes v JOIN stories s ON s.key = v.story_key "
            "JOIN story_tags t ON t.story_id = s.id "
            "LEFT JOIN tuning_resets r ON r.channel = v.channel "
            "WHERE v.channel != '' AND (r.last_vote IS NULL OR v.id > r.last_vote) "
            "GROUP BY v.channel, t.tag, v.story_key, t.score ORDER BY v.channel, t.tag, t.score"
        )
        return [
            TuningVote(
                r["channel"], r["tag"], float(r["score"]), r["story_key"], r["up"], r["down"]
            )
            for r in rows
        ]

    def reset_tuning(self, channel: str, user: str | None = None) -> int:
        """Votes cast in `channel` so far stop tuning it; returns how many stop counting."""
        at = utc_text(now_utc())
        with self.transaction() as db:
            counted = db.execute(
                "SELECT COUNT(*) FROM votes v LEFT JOIN tuning_resets r ON r.channel = v.channel "
                "WHERE v.channel = ? AND (r.last_vote IS NULL OR v.id > r.last_vote)",
                (channel,),
            ).fetchone()[0]
            last = db.execute("SELECT COALESCE(MAX(id), 0) FROM votes").fetchone()[0]
            db.execute(
                "INSERT INTO tuning_resets (channel, last_vote, at, by_user) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (channel) DO UPDATE SET last_vote = excluded.last_vote, "
                "at = excluded.at, by_user = excluded.by_user",
                (channel, last, at, user),
            )
        return int(counted)

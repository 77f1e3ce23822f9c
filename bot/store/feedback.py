"""The team's verdicts on alerts, recorded from the Slack buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.base import StoreBase, from_utc_text, now_utc, utc_text


@dataclass(frozen=True, slots=True)
class Verdict:
    story_key: str
    tag: str | None
    verdict: str  # "relevant" or "not_relevant"
    user: str
    at: datetime
    channel: str | None = None


class FeedbackMixin(StoreBase):
    def record_verdict(
        self,
        story_key: str,
        verdict: str,
        user: str,
        *,
        tags: tuple[str, ...] = (),
        channel: str | None = None,
    ) -> None:
        """One row per tag the story carried (or one untagged row)."""
        at = utc_text(now_utc())
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO feedback (story_key, tag, verdict, user, channel, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(story_key, tag, verdict, user, channel, at) for tag in (tags or (None,))],
            )

    def verdicts(self) -> list[Verdict]:
        rows = self._rows("SELECT * FROM feedback ORDER BY id")
        return [
            Verdict(
                r["story_key"],
                r["tag"],
                r["verdict"],
                r["user"],
                from_utc_text(r["at"]) or now_utc(),
                r["channel"],
            )
            for r in rows
        ]

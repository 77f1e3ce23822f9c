"""Stories on PostgreSQL: the upsert and the search column (tsvector) kept with the row."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres.base import PgBase
from bot.store.sqlite.base import now_utc, utc_text
from bot.store.sqlite.stories import _MUTABLE, StoriesMixin, _row, cjk_bigrams
from bot.story import Story

# title A > summary B > body C; CJK as character bigrams in the 'simple' configuration
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', %(title)s), 'A') || "
    "setweight(to_tsvector('simple', %(cjk_title)s), 'A') || "
    "setweight(to_tsvector('english', %(summary)s), 'B') || "
    "setweight(to_tsvector('english', %(body)s), 'C') || "
    "setweight(to_tsvector('simple', %(cjk_body)s), 'C')"
)  # (migration 003 derives `title_search` from its weight-A part, `at` from the times)
_NEXT_ID = "SELECT nextval(pg_get_serial_sequence('stories', 'id')) AS id"


def search_fields(story: Story) -> dict[str, str]:
    return {
        "cjk_title": cjk_bigrams(story.title),
        "cjk_body": cjk_bigrams(story.body),
        "body": story.body,
        "body_text": story.body,
    }


class PgStoriesMixin(StoriesMixin, PgBase):
    def save(
        self, story: Story, *, hold_reason: str | None = None, seen_at: datetime | None = None
    ) -> bool:
        row = {
            k: v.replace("\x00", "") if isinstance(v, str) else v  # PostgreSQL text has no NUL
            for k, v in {**_row(story, hold_reason), **search_fields(story)}.items()
        }
        with self.transaction() as db:
            found = db.pg.execute("SELECT id FROM stories WHERE key = %s", (row["key"],)).fetchone()
            if found:
                story_id = found["id"]
                sets = ", ".join(f"{k} = %({k})s" for k in _MUTABLE)
                db.pg.execute(
                    f"UPDATE stories SET {sets}, body_text = %(body_text)s, "
                    f"search = {SEARCH_VECTOR} WHERE id = %(id)s",
                    {**row, "id": story_id},
                )
            else:
                row["first_seen"] = utc_text(seen_at or now_utc())
                # the id first, so the row is written once with its cluster (an UPDATE after
                # the INSERT would leave a dead copy of every row and its index entries)
                story_id = db.pg.execute(_NEXT_ID).fetchone()["id"]
                row["id"] = story_id
                row["cluster_id"] = self._cluster_of(db, story.duplicate_of) or story_id
                columns = [k for k in row if k not in ("cjk_title", "cjk_body", "body")]
                values = ", ".join(f"%({k})s" for k in columns)
                db.pg.execute(
                    f"INSERT INTO stories ({', '.join(columns)}, search) "
                    f"VALUES ({values}, {SEARCH_VECTOR})",
                    row,
                )
            db.pg.execute("DELETE FROM story_tags WHERE story_id = %s", (story_id,))
            if story.tags:
                db.pg.cursor().executemany(
                    "INSERT INTO story_tags (story_id, tag, score) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    [(story_id, tag.id, tag.score) for tag in story.tags],
                )
        return found is None

    def prune(self, before: datetime) -> int:
        bound = utc_text(before)
        rows = self._pg(
            "DELETE FROM stories WHERE COALESCE(published, first_seen) < %s "
            "AND first_seen < %s RETURNING id",
            (bound, bound),
        )
        return len(rows)

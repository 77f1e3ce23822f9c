-- The team's verdicts on alerts (the 👍 / 👎 buttons), one row per click.
CREATE TABLE feedback (
    id        INTEGER PRIMARY KEY,
    story_key TEXT NOT NULL,
    tag       TEXT,                 -- the tag judged (NULL: the alert as a whole)
    verdict   TEXT NOT NULL CHECK (verdict IN ('relevant', 'not_relevant')),
    user      TEXT NOT NULL,
    channel   TEXT,
    at        TEXT NOT NULL
);
CREATE INDEX feedback_story ON feedback(story_key);

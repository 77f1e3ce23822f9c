-- One vote per user per alert: a click sets it, a second click on the same button takes it
-- back, the other button changes it. `feedback` stays as the append-only log of clicks.
CREATE TABLE votes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: resets compare against it
    story_key TEXT NOT NULL,
    channel   TEXT NOT NULL DEFAULT '',
    user      TEXT NOT NULL,
    verdict   TEXT NOT NULL CHECK (verdict IN ('relevant', 'not_relevant')),
    at        TEXT NOT NULL,
    UNIQUE (story_key, channel, user)
);
CREATE INDEX votes_channel ON votes(channel, at);

-- The latest click per user and alert so far becomes that user's vote.
INSERT OR REPLACE INTO votes (story_key, channel, user, verdict, at)
    SELECT story_key, COALESCE(channel, ''), user, verdict, at FROM feedback ORDER BY id;

-- `/hubnews feedback reset`: votes cast in a channel up to then (id <= last_vote) no longer
-- tune its thresholds. A vote changed later gets a new id (INSERT OR REPLACE) and counts.
CREATE TABLE tuning_resets (
    channel   TEXT PRIMARY KEY,
    last_vote INTEGER NOT NULL,
    at        TEXT NOT NULL,
    by_user   TEXT
);

-- Feed data hardening (issue #10, hardening-2).
--
-- 1. Stored dates that cannot be right. Years before 1000 were written unpadded ("1-01-01T…",
--    glibc's %Y), which sorts above every real date as text and could not be read back; dates
--    before 1990 or more than a day ahead are false (.NET's 0001-01-01 "no date", 9999). They
--    become NULL ("no date"), so ordering and retention use first_seen, as for undated items.
UPDATE stories SET published = NULL
WHERE published IS NOT NULL
  AND (published NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z'
       OR published < '1990-01-01T00:00:00Z'
       OR published > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+1 day'));

-- 2. Summary messages: one message standing for the stories the alert limits held (a feed's
--    first poll, a flood). The outbox gains the kind 'summary' and the message `text`.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    story_key       TEXT NOT NULL,                 -- stories(key), or "summary:<feed>:<key>"
    kind            TEXT NOT NULL CHECK (kind IN ('alert', 'thread', 'summary')),
    thread_key      TEXT,                          -- for 'thread': the original story's key
    mode            TEXT NOT NULL DEFAULT 'realtime' CHECK (mode IN ('realtime', 'digest')),
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'posting', 'posted', 'failed', 'held')),
    attempts        INTEGER NOT NULL DEFAULT 0,    -- failed attempts (429s are not counted)
    verify          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    attempted_at    TEXT,                          -- when the last post was started
    last_error      TEXT,
    ts              TEXT,                          -- Slack message ts once posted
    batched         INTEGER NOT NULL DEFAULT 0,    -- 1: posted inside a batched message
    created_at      TEXT NOT NULL,
    posted_at       TEXT,
    text            TEXT,                          -- for 'summary': the message
    UNIQUE (channel, story_key, kind)
);
INSERT INTO outbox_new (id, channel, story_key, kind, thread_key, mode, state, attempts, verify,
                        next_attempt_at, attempted_at, last_error, ts, batched, created_at,
                        posted_at)
    SELECT id, channel, story_key, kind, thread_key, mode, state, attempts, verify,
           next_attempt_at, attempted_at, last_error, ts, batched, created_at, posted_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_state ON outbox(state, next_attempt_at);
CREATE INDEX outbox_channel ON outbox(channel, state);
CREATE INDEX outbox_story ON outbox(story_key, channel);

-- The outbox: every Slack message hubnews means to post, and what became of it.
-- state: pending -> posting -> posted; pending -> held (a configuration problem the operator
-- must fix; retried slowly); pending -> failed (Slack refused the message itself, or too many
-- attempts). Rows are never deleted by delivery. `verify` = 1 when the last attempt's fate is
-- unknown (timeout, connection lost, 5xx): history is checked before posting again.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    story_key       TEXT NOT NULL,                 -- stories(key); not a foreign key on purpose
    kind            TEXT NOT NULL CHECK (kind IN ('alert', 'thread')),
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
    UNIQUE (channel, story_key, kind)
);
CREATE INDEX outbox_state ON outbox(state, next_attempt_at);
CREATE INDEX outbox_channel ON outbox(channel, state);
CREATE INDEX outbox_story ON outbox(story_key, channel);

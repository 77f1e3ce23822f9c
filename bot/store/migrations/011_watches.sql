-- Personal and channel watches (`/hubnews watch QUERY [in #channel]`), what they fired on,
-- users' mutes and channels' snoozes.
CREATE TABLE watches (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    owner              TEXT NOT NULL,            -- the Slack user who made it
    channel            TEXT,                     -- NULL: DMs to the owner; else a channel id
    query              TEXT NOT NULL,            -- as typed (recompiled at start)
    dm_on_channel_hits INTEGER NOT NULL DEFAULT 0,   -- DM even when alerted in a channel
    created_at         TEXT NOT NULL,
    last_hit_at        TEXT,
    hits               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX watches_owner ON watches(owner);

-- One row per watch and cluster: a cluster fires a watch once, its copies never again.
CREATE TABLE watch_hits (
    watch_id    INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    cluster_key TEXT NOT NULL,                   -- key of the cluster's first story
    story_key   TEXT NOT NULL,                   -- the story that fired it
    delivered   INTEGER NOT NULL DEFAULT 1,      -- 0: muted or already seen in a channel
    at          TEXT NOT NULL,
    PRIMARY KEY (watch_id, cluster_key)
);
CREATE INDEX watch_hits_at ON watch_hits(at);

-- A user's mutes of a source (domain) or a tag in their watch DMs; `until` NULL = for good.
CREATE TABLE mutes (
    user  TEXT NOT NULL,
    kind  TEXT NOT NULL CHECK (kind IN ('source', 'tag')),
    value TEXT NOT NULL,
    until TEXT,
    at    TEXT NOT NULL,
    PRIMARY KEY (user, kind, value)
);

-- A channel's real-time alerts paused until `until`; what arrives meanwhile is kept and posted
-- as one catch-up message when the snooze ends.
CREATE TABLE snoozes (
    channel TEXT PRIMARY KEY,
    until   TEXT NOT NULL,
    by_user TEXT,
    at      TEXT NOT NULL
);

-- Bumped on every change to `watches`, so a running pipeline reloads them only when needed.
CREATE TABLE watch_version (n INTEGER NOT NULL);
INSERT INTO watch_version (n) VALUES (0);

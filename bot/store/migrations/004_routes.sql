-- Routes made from Slack (`/hubnews follow tag:ai` in a channel); config routes stay in the file.
CREATE TABLE routes (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]',   -- JSON list; empty = any tagged story
    origin     TEXT NOT NULL DEFAULT 'slack',
    added_by   TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (channel, tags)
);

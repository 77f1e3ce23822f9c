-- Feeds (configured or added from Slack) and their fetch state.
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    url                  TEXT NOT NULL,
    origin               TEXT NOT NULL DEFAULT 'config',   -- 'config' | 'slack' | 'cli'
    added_by             TEXT,
    enabled              INTEGER NOT NULL DEFAULT 1,
    disabled_reason      TEXT,
    title                TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    last_attempt         TEXT,
    last_ok              TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_problem         TEXT,      -- a bozo warning on a feed that still parsed
    next_poll            TEXT,
    created_at           TEXT NOT NULL
);

-- Every story ever seen; copies point at the story they repeat and share its cluster.
CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL DEFAULT '',
    guid          TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL,
    feed          TEXT NOT NULL,
    source_title  TEXT NOT NULL,
    domain        TEXT NOT NULL,
    published     TEXT,
    first_seen    TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    content       TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    authors       TEXT NOT NULL DEFAULT '[]',   -- JSON list
    feed_tags     TEXT NOT NULL DEFAULT '[]',   -- JSON list
    tags          TEXT NOT NULL DEFAULT '[]',   -- JSON list of {id, score, evidence}
    regions       TEXT NOT NULL DEFAULT '[]',   -- JSON list
    duplicate_of  TEXT,                         -- key of the story this one repeats
    match         TEXT,                         -- JSON of the dedup decision
    cluster_id    INTEGER,                      -- id of the cluster's first story
    hold_reason   TEXT                          -- why it was stored but not alerted
);
CREATE INDEX stories_published ON stories(published);
CREATE INDEX stories_first_seen ON stories(first_seen);
CREATE INDEX stories_cluster ON stories(cluster_id);
CREATE INDEX stories_canonical ON stories(canonical_url);

-- Topic tags, one row per tag, for `tag:` filters and routing by score.
CREATE TABLE story_tags (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    score    REAL NOT NULL,
    PRIMARY KEY (tag, story_id)
) WITHOUT ROWID;

-- Full-text index: porter-stemmed unicode61 words; CJK runs are also indexed as character
-- bigrams in `cjk`, because FTS5 tokenizers cannot match two-character words like 亦庄.
CREATE VIRTUAL TABLE stories_fts USING fts5(
    title, body, cjk,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The index's vocabulary, for "did you mean …?" suggestions.
CREATE VIRTUAL TABLE stories_vocab USING fts5vocab(stories_fts, 'row');

-- The team's corrections of the copy filter: "Not a copy" on a thread reply, `/hubnews split`.
CREATE TABLE copy_verdicts (
    id           INTEGER PRIMARY KEY,
    story_key    TEXT NOT NULL,
    original_key TEXT NOT NULL,      -- the story it had been folded into
    verdict      TEXT NOT NULL CHECK (verdict IN ('not_copy')),
    user         TEXT NOT NULL,
    match        TEXT,               -- JSON of the dedup decision that was overruled
    at           TEXT NOT NULL
);
CREATE INDEX copy_verdicts_story ON copy_verdicts(story_key);

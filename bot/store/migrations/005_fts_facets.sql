-- Tags become searchable terms of their own column, so `tag:ai` narrows the full-text match
-- itself (FTS5 intersects the lists) instead of filtering every match afterwards.
-- Facet tokens: 't' + the tag id without '-' or '_' ("industrial-policy" -> "tindustrialpolicy").
CREATE VIRTUAL TABLE stories_fts_new USING fts5(
    title, body, cjk, facets,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO stories_fts_new (rowid, title, body, cjk, facets)
    SELECT f.rowid, f.title, f.body, f.cjk,
           COALESCE((SELECT group_concat('t' || replace(replace(t.tag, '-', ''), '_', ''), ' ')
                     FROM story_tags t WHERE t.story_id = f.rowid), '')
    FROM stories_fts f;
DROP TABLE stories_vocab;
DROP TABLE stories_fts;
ALTER TABLE stories_fts_new RENAME TO stories_fts;
CREATE VIRTUAL TABLE stories_vocab USING fts5vocab(stories_fts, 'row');

-- The folders and categories a feed had in the OPML file it was imported from (JSON list),
-- so `hubnews feeds export` gives them back.
ALTER TABLE feeds ADD COLUMN categories TEXT NOT NULL DEFAULT '[]';

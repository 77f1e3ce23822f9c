-- Slack ids instead of names: `#name` routes are resolved to channel ids once (conversations.list)
-- and posted to and reconciled by id; each posted message keeps the id it went to and, once asked
-- for, its permalink from chat.getPermalink (the right host on GovSlack and Enterprise Grid).
CREATE TABLE slack_channels (
    name        TEXT PRIMARY KEY,               -- "#ai-policy", as written in the routes
    id          TEXT NOT NULL,                  -- "C0123ABCD"
    resolved_at TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN channel_id TEXT;  -- the id the message was posted to
ALTER TABLE outbox ADD COLUMN permalink TEXT;   -- chat.getPermalink's answer, cached

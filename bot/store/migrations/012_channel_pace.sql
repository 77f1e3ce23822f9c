-- When each Slack channel may next be posted to: every deliverer on the database (the
-- replicas of a PostgreSQL deployment) takes a channel's slot here before posting, so the
-- pace of ~1 message per second per channel holds across processes.
CREATE TABLE channel_pace (
    channel  TEXT PRIMARY KEY,   -- the Slack channel id posted to
    next_at  REAL NOT NULL       -- epoch seconds from which the next post may start
);

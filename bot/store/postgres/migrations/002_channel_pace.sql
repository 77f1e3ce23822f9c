-- When each Slack channel may next be posted to: every replica takes a channel's slot here
-- before posting, so the pace of ~1 message per second per channel holds across replicas.
CREATE TABLE channel_pace (
    channel  TEXT PRIMARY KEY,          -- the Slack channel id posted to
    next_at  DOUBLE PRECISION NOT NULL  -- epoch seconds from which the next post may start
);

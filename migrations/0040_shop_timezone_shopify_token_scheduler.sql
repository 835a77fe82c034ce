-- Issue 23: tasks that act on Shopify and on time.

-- Owner: admin. The shop's IANA time zone (validated with Intl.DateTimeFormat when set): the
-- scheduler's `daily` topic fires at midnight there.
ALTER TABLE shops ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
-- Owner: admin. The shop's Shopify Admin API access token for the `shopify` action, AES-GCM under
-- SECRETS_KEY like the other secrets; write-only through the API.
ALTER TABLE shops ADD COLUMN shopify_access_token_ciphertext TEXT;

-- Owner: tasks (scheduler). One row per (shop, scheduler topic) some enabled task subscribes to:
-- the last period emitted (sub-daily: the period's UTC start, ISO 8601; daily: the local date
-- YYYY-MM-DD), when the next one is due (UTC, ISO 8601) and the time zone that was computed in.
-- The cron advances a row with a compare-and-set on last_period, after the period's events
-- (deterministic ids) are on the queue.
CREATE TABLE scheduler_periods (
  shop_id     TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  topic       TEXT NOT NULL,                    -- edgehook/scheduler/<period>
  last_period TEXT NOT NULL,
  next_due_at TEXT NOT NULL,
  timezone    TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (shop_id, topic)
);

-- Owner: tasks. The scheduler finds the (shop, topic) pairs of its topics without a full scan.
CREATE INDEX task_subscriptions_topic_shop ON task_subscriptions (topic, shop_id);

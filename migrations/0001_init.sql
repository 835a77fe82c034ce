-- edgehook foundation: shops and their apps, ingress webhooks and CORS origins, events, and what the
-- dead-letter consumers could not store. Timestamps are ISO 8601 UTC strings with milliseconds
-- (`2026-11-22T10:15:00.000Z`), which sort correctly as text.

-- Owner: admin
CREATE TABLE shops (
  id               TEXT PRIMARY KEY,            -- UUID
  myshopify_domain TEXT NOT NULL UNIQUE,        -- demo.myshopify.com
  primary_domain   TEXT,                        -- shop.example.com, or NULL
  cors_allow_all   INTEGER NOT NULL DEFAULT 0 CHECK (cors_allow_all IN (0, 1)),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX shops_created ON shops (created_at, id);

-- Owner: admin. An app is a shop's API client; its token is stored only as a SHA-256 hash.
CREATE TABLE apps (
  id          TEXT PRIMARY KEY,                 -- UUID
  shop_id     TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  token_hash  TEXT NOT NULL UNIQUE,             -- hex SHA-256 of the access token
  api_version TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX apps_shop_created ON apps (shop_id, created_at, id);

-- Owner: ingress
CREATE TABLE webhooks (
  id         TEXT PRIMARY KEY,                  -- UUID v4: the secret part of the webhook URL
  shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  topic      TEXT NOT NULL,                     -- user/<subject>/<verb>
  data_mode  TEXT NOT NULL DEFAULT 'auto' CHECK (data_mode IN ('auto', 'full')),
  enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhooks_shop_created ON webhooks (shop_id, created_at, id);

-- Owner: ingress. Additional allowed origins; `*` alone means any origin.
CREATE TABLE cors_origins (
  shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  origin     TEXT NOT NULL,                     -- https://host[:port], normalized
  created_at TEXT NOT NULL,
  PRIMARY KEY (shop_id, origin)
);

-- Owner: events. No foreign keys: rows arrive in batches from the queue consumer and must land
-- even if their shop was deleted meanwhile.
-- status: pending (written by the ingress fallback, the cron sweep enqueues it), queued (in D1 and
-- referenced by a queue message), received (persisted by the consumer, awaiting processing),
-- processed, dead (the dead-letter consumer gave up on it; `error` says why).
CREATE TABLE events (
  id                 TEXT PRIMARY KEY,          -- UUID
  shop_id            TEXT NOT NULL,
  topic              TEXT NOT NULL,
  data               TEXT NOT NULL,             -- JSON
  source             TEXT NOT NULL CHECK (source IN ('webhook', 'task', 'shopify')),
  webhook_id         TEXT,
  webhook_request_id TEXT,
  parent_id          TEXT,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'received', 'processed', 'dead')),
  error              TEXT,
  created_at         TEXT NOT NULL,
  received_at        TEXT,
  processed_at       TEXT
);
CREATE INDEX events_shop_created ON events (shop_id, created_at, id);
CREATE INDEX events_shop_topic_created ON events (shop_id, topic, created_at, id);
CREATE INDEX events_request ON events (webhook_request_id) WHERE webhook_request_id IS NOT NULL;
CREATE INDEX events_pending ON events (created_at) WHERE status = 'pending';
CREATE INDEX events_created ON events (created_at);

-- Owner: events. Queue messages that could not even be recorded as a dead event (unparsable
-- bodies, rows D1 refused). Body truncated to DEAD_LETTER_BODY_MAX_CHARS.
CREATE TABLE dead_letters (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  queue      TEXT NOT NULL,
  message_id TEXT NOT NULL,
  body       TEXT NOT NULL,
  error      TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX dead_letters_created ON dead_letters (created_at);

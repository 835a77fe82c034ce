-- Delivery to subscribers and inbound Shopify webhooks: app signing secrets, the shops' Shopify
-- client secrets, one delivery per (subscription, event) and every attempt of it.
-- Secrets are stored encrypted (AES-GCM under the SECRETS_KEY Worker secret): both are HMAC keys,
-- so the plaintext is needed to sign and to verify and a hash would not do.

-- Owner: admin. The shop's Shopify app client secret, for POST /shopify/webhooks.
ALTER TABLE shops ADD COLUMN shopify_secret_ciphertext TEXT;

-- Owner: admin. Signing secrets of an app (`whsec_` + base64 of 24 random bytes). Every active
-- secret signs (Standard Webhooks: one signature each); the newest also keys X-Shopify-Hmac-Sha256.
CREATE TABLE app_signing_secrets (
  id          TEXT PRIMARY KEY,                 -- UUID
  app_id      TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  ciphertext  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  retired_at  TEXT                              -- NULL while active
);
CREATE INDEX app_signing_secrets_app ON app_signing_secrets (app_id, created_at);

-- Owner: delivery. One row per (subscription, event); the id is X-Shopify-Webhook-Id and
-- webhook-id on every attempt. address, topic, format and fields are copied at creation, so every
-- retry sends the same body to the same address even if the subscription changes meanwhile.
CREATE TABLE deliveries (
  id                TEXT PRIMARY KEY,           -- UUID
  subscription_id   INTEGER NOT NULL,           -- no FK: the record outlives a deleted subscription
  event_id          TEXT NOT NULL,
  shop_id           TEXT NOT NULL,
  app_id            TEXT NOT NULL,
  address           TEXT NOT NULL,
  topic             TEXT NOT NULL,              -- the subscription's topic (X-Shopify-Topic)
  format            TEXT NOT NULL CHECK (format IN ('json', 'xml')),
  fields            TEXT NOT NULL,              -- JSON array
  api_version       TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0, -- attempts made so far
  last_status_code  INTEGER,
  last_error        TEXT,
  next_attempt_at   TEXT,                       -- when the next attempt is due (pending only)
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  finished_at       TEXT,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_app_created ON deliveries (app_id, created_at, id);
CREATE INDEX deliveries_subscription_created ON deliveries (subscription_id, created_at, id);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_app_status_created ON deliveries (app_id, status, created_at, id);

-- Owner: delivery. Every attempt: when, the answer (or none), how long, what went wrong.
CREATE TABLE delivery_attempts (
  delivery_id  TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt      INTEGER NOT NULL,                -- 1-based
  started_at   TEXT NOT NULL,
  status_code  INTEGER,                         -- NULL: no HTTP answer (timeout, network, refused address)
  duration_ms  INTEGER NOT NULL,
  error        TEXT,                            -- NULL on success
  PRIMARY KEY (delivery_id, attempt)
);

-- Owner: subscriptions. When a delivery last succeeded: a subscription whose delivery exhausted
-- its retries is removed (or disabled) only if nothing succeeded since that delivery began.
ALTER TABLE subscriptions ADD COLUMN last_success_at TEXT;

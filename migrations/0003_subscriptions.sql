-- Owner: subscriptions. The Shopify-compatible `Webhook` resource: an app's subscription of an
-- address to a topic. `id` is the Shopify webhook id (positive integer, ascending).
-- status: active (visible to the resource, receives deliveries), deleted (DELETE through the
-- resource), removed / disabled (delivery kept failing; see FAILED_SUBSCRIPTION_ACTION). Only active
-- rows are visible to the resource; the others stay as the record deliveries point to.
CREATE TABLE subscriptions (
  id                           INTEGER PRIMARY KEY AUTOINCREMENT,
  shop_id                      TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  app_id                       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  address                      TEXT NOT NULL,
  topic                        TEXT NOT NULL,    -- as subscribed: orders/create, user/quote/request
  format                       TEXT NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'xml')),
  fields                       TEXT NOT NULL DEFAULT '[]', -- JSON arrays of strings
  metafield_namespaces         TEXT NOT NULL DEFAULT '[]',
  private_metafield_namespaces TEXT NOT NULL DEFAULT '[]',
  metafield_identifiers        TEXT NOT NULL DEFAULT '[]',
  status                       TEXT NOT NULL DEFAULT 'active'
                               CHECK (status IN ('active', 'disabled', 'removed', 'deleted')),
  consecutive_failures         INTEGER NOT NULL DEFAULT 0,
  created_at                   TEXT NOT NULL,
  updated_at                   TEXT NOT NULL
);
-- Fan-out: active subscriptions of a shop on a topic.
CREATE INDEX subscriptions_fanout ON subscriptions (shop_id, topic) WHERE status = 'active';

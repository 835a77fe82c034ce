-- Owner: subscriptions. Issue 24: a subscription's `name` (GraphQL `name`, sent as X-Shopify-Name),
-- its `filter` (Shopify's search syntax, as the client wrote it; evaluated on each event's payload
-- at fan-out) and how many deliveries that filter has kept from being made.
ALTER TABLE subscriptions ADD COLUMN name TEXT;
ALTER TABLE subscriptions ADD COLUMN filter TEXT;
ALTER TABLE subscriptions ADD COLUMN filtered_count INTEGER NOT NULL DEFAULT 0;
-- A name is unique per shop among active subscriptions (the create/update race is decided here).
CREATE UNIQUE INDEX subscriptions_shop_name ON subscriptions (shop_id, name)
  WHERE status = 'active' AND name IS NOT NULL;

-- Owner: subscriptions. Indexes for the Shopify-compatible `Webhook` resource. Every resource query
-- is `app_id = ? AND status = 'active'` (the literal, so these partial indexes apply) plus at most
-- a few filters, ordered by id; each index leads with app_id so no query scans other apps' rows.

-- "Already taken" (same app, topic and address among active rows), and topic+address filters.
CREATE UNIQUE INDEX subscriptions_app_topic_address
  ON subscriptions (app_id, topic, address) WHERE status = 'active';
-- The unfiltered list, since_id and page_info (id ranges), get/put/delete by id within the app.
CREATE INDEX subscriptions_app_id ON subscriptions (app_id, id) WHERE status = 'active';
-- topic filter in id order.
CREATE INDEX subscriptions_app_topic_id ON subscriptions (app_id, topic, id) WHERE status = 'active';
-- address filter in id order.
CREATE INDEX subscriptions_app_address_id ON subscriptions (app_id, address, id) WHERE status = 'active';
-- created_at_min / created_at_max.
CREATE INDEX subscriptions_app_created ON subscriptions (app_id, created_at, id) WHERE status = 'active';
-- updated_at_min / updated_at_max.
CREATE INDEX subscriptions_app_updated ON subscriptions (app_id, updated_at, id) WHERE status = 'active';

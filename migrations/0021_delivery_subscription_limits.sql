-- Owner: delivery. A subscription's own limit on deliveries per second to its destination, set
-- through PUT /api/v1/subscriptions/{id}/delivery_limit. Kept in delivery's own table so the
-- `subscriptions` table and the Shopify resource stay Shopify's; no row = the deployment default.
CREATE TABLE delivery_subscription_limits (
  subscription_id            INTEGER PRIMARY KEY,   -- no FK: as deliveries, it may outlive the row
  app_id                     TEXT NOT NULL,
  max_deliveries_per_second  INTEGER NOT NULL,
  updated_at                 TEXT NOT NULL
);

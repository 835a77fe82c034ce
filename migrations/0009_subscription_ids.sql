-- Owner: subscriptions. Subscription ids are no longer AUTOINCREMENT's global counter (which let an
-- app read how many subscriptions exist across all shops): each app's ids start at a random point
-- and grow by random steps, below 2^53 (src/subscriptions/ids.ts). A new id is its app's highest id
-- (any status) plus a step; this index answers that MAX without scanning other apps' rows.
CREATE INDEX subscriptions_app_all_ids ON subscriptions (app_id, id);

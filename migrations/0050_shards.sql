-- Shards (docs/capacity.md, "Shards"). Owner: shops.
-- shard: the D1 database (0 = DB, n = SHARD_n) holding the shop's per-shop tables (events, task and
-- action runs, deliveries and their attempts, cache values, destination breakers). Chosen when the
-- shop is created and changed only by a move.
ALTER TABLE shops ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
CREATE INDEX shops_shard ON shops (shard);

-- Owner: shops. A shop's move to another shard (POST /api/v1/shops/{id}/move), advanced by the cron
-- one phase at a time. phase: draining (processing paused, waiting for in-flight work), copying
-- (rows copied in bounded chunks, `cursor` = JSON position), settling (map switched, waiting for
-- writers that read the old map), cleaning (remaining old rows copied, then deleted), done, failed.
CREATE TABLE shop_moves (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  shop_id      TEXT NOT NULL,
  from_shard   INTEGER NOT NULL,
  to_shard     INTEGER NOT NULL,
  phase        TEXT NOT NULL CHECK (phase IN ('draining', 'copying', 'settling', 'cleaning', 'done', 'failed')),
  cursor       TEXT,
  rows_copied  INTEGER NOT NULL DEFAULT 0,
  rows_deleted INTEGER NOT NULL DEFAULT 0,
  error        TEXT,
  phase_until  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX shop_moves_shop ON shop_moves (shop_id, id);
-- At most one unfinished move per shop.
CREATE UNIQUE INDEX shop_moves_active ON shop_moves (shop_id) WHERE phase NOT IN ('done', 'failed');

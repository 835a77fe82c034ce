-- Owner: delivery. One row per destination: an app's deliveries to one host (the address's host
-- and port). It holds the destination's rate window (deliveries admitted in the current second)
-- and its circuit breaker (consecutive failed attempts; while paused, when the next probe may go).
-- Keyed by app as well as host, so one app's failures or limits never hold back another's
-- deliveries to the same host (tenant isolation). Rows are written atomically by single
-- statements (D1 runs one writer), see docs/decisions.md.
CREATE TABLE delivery_destinations (
  app_id                  TEXT NOT NULL,
  host                    TEXT NOT NULL,            -- lowercased host[:port] of the address
  rate_limit_per_second   INTEGER NOT NULL,         -- the limit in force at the last admission
  window_second           INTEGER NOT NULL,         -- Unix second of the current rate window
  window_count            INTEGER NOT NULL,         -- deliveries admitted in that second
  requested               INTEGER NOT NULL,         -- attempts asked for by the last admission
  granted                 INTEGER NOT NULL,         -- attempts it admitted (the rest were held)
  consecutive_failures    INTEGER NOT NULL DEFAULT 0,
  paused_at               TEXT,                     -- the breaker opened; NULL while closed
  next_probe_at           TEXT,                     -- while paused: the earliest next probe
  probe_interval_seconds  INTEGER NOT NULL DEFAULT 0,
  last_error              TEXT,
  last_failure_at         TEXT,
  last_success_at         TEXT,
  created_at              TEXT NOT NULL,
  updated_at              TEXT NOT NULL,
  PRIMARY KEY (app_id, host)
) WITHOUT ROWID;
CREATE INDEX delivery_destinations_app_created ON delivery_destinations (app_id, created_at, host);

-- Tasks, their runs and action runs, the cache and cache endpoints (spec/tasks-and-cache.md).
-- Timestamps are ISO 8601 UTC strings with milliseconds, as in 0001.

-- Owner: tasks. `subscriptions` is the text the user wrote; task_subscriptions holds it parsed.
CREATE TABLE tasks (
  id            TEXT PRIMARY KEY,               -- UUID
  shop_id       TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  subscriptions TEXT NOT NULL,
  script        TEXT NOT NULL,
  options       TEXT NOT NULL DEFAULT '{}',     -- JSON object
  enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX tasks_shop_created ON tasks (shop_id, created_at, id);

-- Owner: tasks. One row per (task, topic, delay); the consumer looks tasks up by (shop, topic).
CREATE TABLE task_subscriptions (
  task_id       TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  shop_id       TEXT NOT NULL,
  topic         TEXT NOT NULL,
  delay_seconds INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, topic, delay_seconds)
);
CREATE INDEX task_subscriptions_shop_topic ON task_subscriptions (shop_id, topic);

-- Owner: tasks. No foreign keys: a run outlives its task for the record.
-- status: scheduled (waiting for run_at: on the queue when wake = 'queue', for the cron sweep when
-- wake = 'cron'), running, succeeded, failed. rendered_at is set once its action runs exist.
CREATE TABLE task_runs (
  id            TEXT PRIMARY KEY,               -- UUID
  shop_id       TEXT NOT NULL,
  task_id       TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  delay_seconds INTEGER NOT NULL DEFAULT 0,
  status        TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'succeeded', 'failed')),
  wake          TEXT NOT NULL DEFAULT 'queue' CHECK (wake IN ('queue', 'cron')),
  run_at        TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  logs          TEXT NOT NULL DEFAULT '[]',     -- JSON array of `log` values
  errors        TEXT NOT NULL DEFAULT '[]',     -- JSON array of `error` values
  error         TEXT,
  rendered_at   TEXT,
  started_at    TEXT,
  finished_at   TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (event_id, task_id, delay_seconds)
);
CREATE INDEX task_runs_event_created ON task_runs (event_id, created_at, id);
CREATE INDEX task_runs_cron_due ON task_runs (run_at) WHERE status = 'scheduled' AND wake = 'cron';

-- Owner: tasks. The actions a run rendered, performed in `position` order.
CREATE TABLE action_runs (
  id              TEXT PRIMARY KEY,             -- UUID
  task_run_id     TEXT NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
  position        INTEGER NOT NULL,
  type            TEXT NOT NULL,
  options         TEXT NOT NULL,                -- JSON
  meta            TEXT,                         -- JSON or NULL
  status          TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'succeeded', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  result          TEXT,                         -- JSON
  error           TEXT,
  next_attempt_at TEXT,
  started_at      TEXT,
  finished_at     TEXT,
  created_at      TEXT NOT NULL,
  UNIQUE (task_run_id, position)
);

-- Owner: cache. The truth; KV holds a copy under c:{shop_id}:{key}.
CREATE TABLE cache_entries (
  shop_id    TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,                     -- JSON
  expires_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (shop_id, key)
);
CREATE INDEX cache_entries_expires ON cache_entries (expires_at);

-- Owner: cache. KV holds a copy under ep:{token}.
CREATE TABLE cache_endpoints (
  token      TEXT PRIMARY KEY,                  -- UUID v4: the secret part of the URL
  shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX cache_endpoints_shop_created ON cache_endpoints (shop_id, created_at, token);

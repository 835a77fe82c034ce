-- Retention of task runs, action runs and deliveries (issue 13): the cron deletes finished rows
-- older than a setting in bounded batches, oldest first. Each prune finds its rows through one of
-- these indexes, so a batch reads only the rows it deletes instead of scanning the table.

-- Owner: tasks. Finished runs by end time (unfinished runs have no finished_at and are never pruned).
CREATE INDEX task_runs_finished ON task_runs (finished_at) WHERE finished_at IS NOT NULL;

-- Owner: tasks. Finished action runs by end time.
CREATE INDEX action_runs_finished ON action_runs (finished_at) WHERE finished_at IS NOT NULL;

-- Owner: delivery. Finished deliveries (succeeded or failed) by end time.
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL;

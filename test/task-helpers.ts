import { rowsOnAllShards } from './shards';
import { expect, vi } from 'vitest';
import { call, jsonInit } from './helpers';

/** Helpers for tasks, runs and the cache. */

export async function createTask(token: string, body: Record<string, unknown>): Promise<string> {
  const res = await call(
    '/api/v1/tasks',
    jsonInit('POST', token, { name: 'task', subscriptions: 'user/test/submit', ...body }),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json<{ task: { id: string } }>()).task.id;
}

export async function createCacheEndpoint(token: string, key: string): Promise<{ token: string; url: string }> {
  const res = await call('/api/v1/cache_endpoints', jsonInit('POST', token, { key }));
  expect(res.status).toBe(201);
  return (await res.json<{ cache_endpoint: { token: string; url: string } }>()).cache_endpoint;
}

export interface ApiActionRun {
  id: string;
  position: number;
  type: string;
  options: unknown;
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
  next_attempt_at: string | null;
}

export interface ApiTaskRun {
  id: string;
  task_id: string;
  status: string;
  attempts: number;
  logs: unknown[];
  errors: unknown[];
  error: string | null;
  run_at: string;
  delay_seconds: number;
  started_at: string | null;
  finished_at: string | null;
  action_runs: ApiActionRun[];
}

/** GET /api/v1/events/{id}/task_runs. */
export async function taskRunsOf(token: string, eventId: string): Promise<ApiTaskRun[]> {
  const res = await call(`/api/v1/events/${eventId}/task_runs`, jsonInit('GET', token));
  expect(res.status).toBe(200);
  return (await res.json<{ task_runs: ApiTaskRun[] }>()).task_runs;
}

/** Waits until every run of the event is finished; returns them. */
export async function finishedRunsOf(token: string, eventId: string, count: number): Promise<ApiTaskRun[]> {
  return vi.waitFor(
    async () => {
      const runs = await taskRunsOf(token, eventId);
      if (runs.length < count || runs.some((r) => r.status !== 'succeeded' && r.status !== 'failed')) {
        throw new Error('runs not finished yet');
      }
      return runs;
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** Events whose parent is `parentId` (read straight from D1). */
export async function childrenOf(
  parentId: string,
): Promise<{ id: string; topic: string; data: string; status: string }[]> {
  return rowsOnAllShards<{ id: string; topic: string; data: string; status: string }>(
    'SELECT id, topic, data, status FROM events WHERE parent_id = ?1',
    parentId,
  );
}

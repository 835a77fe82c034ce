import { shopEnv } from '../shops/scope';
import { primaryDb } from '../shards';
import type { AppRecord } from '../shops/store';
import type * as v from 'valibot';
import { findShop } from '../shops/store';
import { MAX_ADMIN_BODY_BYTES } from '../env';
import { findShopEvent } from '../events/store';
import { readBodyBytes, readJsonBody } from '../http/body';
import { notFound } from '../http/errors';
import { jsonResponse, noContent } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import type { RouteRequest } from '../http/route';
import { parseBody } from '../http/validate';
import { readCacheEntry } from '../cache/cache';
import { renderTask } from './engine';
import { runsToApi } from './runs-api';
import { renderScope, shopVariable } from './scope';
import { listShopTasks } from './store';
import { listActionRuns, listEventTaskRuns } from './runs-store';
import { parseSubscriptions } from './task-subscriptions';
import {
  changeTask,
  createTask,
  createTaskSchema,
  previewSchema,
  removeTask,
  requireTask,
  taskToApi,
  updateTaskSchema,
} from './tasks';
import { parseExactJson, parseJsonKeepingIntegers } from '../json/exact';

/** Management of a shop's tasks and reading its task runs, with an app access token. */

export async function postTask(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(
    createTaskSchema,
    await readJsonBody(request, MAX_ADMIN_BODY_BYTES, parseJsonKeepingIntegers),
  );
  return jsonResponse({ task: taskToApi(await createTask(env, app.shopId, input)) }, 201);
}

export async function getTasks(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const page = parsePageRequest(new URL(request.url).searchParams);
  const rows = await listShopTasks(primaryDb(env), app.shopId, page.limit + 1, page.cursor);
  const { items, nextCursor } = pageOf(rows, page.limit);
  return jsonResponse({ tasks: items.map(taskToApi), next_cursor: nextCursor });
}

export async function getTask(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  return jsonResponse({ task: taskToApi(await requireTask(env, app.shopId, request.params['id']!)) });
}

export async function patchTask(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(
    updateTaskSchema,
    await readJsonBody(request, MAX_ADMIN_BODY_BYTES, parseJsonKeepingIntegers),
  );
  return jsonResponse({ task: taskToApi(await changeTask(env, app.shopId, request.params['id']!, input)) });
}

export async function deleteTaskRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  await removeTask(env, app.shopId, request.params['id']!);
  return noContent();
}

/** POST /api/v1/tasks/{id}/enable and …/disable. */
export function setTaskEnabled(enabled: boolean) {
  return async (request: RouteRequest, env: Env, app: AppRecord): Promise<Response> => {
    const task = await changeTask(env, app.shopId, request.params['id']!, { enabled });
    return jsonResponse({ task: taskToApi(task) });
  };
}

/**
 * POST /api/v1/tasks/{id}/preview: renders the task (or the script/options in the body) against a
 * sample event and returns the would-be actions, logs and errors. Nothing is performed or stored;
 * `cache` reads the shop's real cache.
 */
export async function previewTask(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const task = await requireTask(env, app.shopId, request.params['id']!);
  const hasBody = (await readBodyBytes(request.clone(), MAX_ADMIN_BODY_BYTES)).byteLength > 0;
  const input: v.InferOutput<typeof previewSchema> = hasBody
    ? parseBody(previewSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES, parseJsonKeepingIntegers))
    : {};
  const parsed = parseSubscriptions(task.subscriptions);
  const topic = input.event?.topic ?? (parsed.ok ? parsed.subscriptions[0]!.topic : 'user/preview/run');
  const event = {
    id: 'preview',
    topic,
    data: input.event?.data ?? null,
    source: 'preview',
    created_at: new Date().toISOString(),
    webhook_request_id: input.event?.webhook_request_id ?? null,
    parent: null,
  };
  const scope = renderScope(
    { ...task, optionsJson: input.options ? JSON.stringify(input.options) : task.optionsJson },
    event,
    shopVariable(await findShop(primaryDb(env), app.shopId), app.shopId),
  );
  const outcome = await renderTask(input.script ?? task.script, scope, async (key) => {
    const entry = await readCacheEntry(shopEnv(env, app), app.shopId, key);
    return entry ? parseExactJson(entry.valueJson) : undefined;
  });
  const preview = outcome.ok
    ? { ok: true, actions: outcome.actions, logs: outcome.logs, errors: outcome.errors, error: null }
    : { ok: false, actions: [], logs: [], errors: [], error: outcome.error };
  return jsonResponse({ preview });
}

/** GET /api/v1/events/{id}/task_runs: the event's task runs, each with its action runs. */
export async function getEventTaskRuns(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const shard = shopEnv(env, app).DB;
  const event = await findShopEvent(shard, app.shopId, request.params['id']!);
  if (event === null) throw notFound('Event');
  const runs = await listEventTaskRuns(shard, app.shopId, event.id);
  const actions = await listActionRuns(
    shard,
    runs.map((r) => r.id),
  );
  return jsonResponse({ task_runs: runsToApi(runs, actions) });
}

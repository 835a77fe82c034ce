import { primaryDb } from '../shards';
import * as v from 'valibot';
import { MAX_TASK_OPTIONS_BYTES, MAX_TASK_SCRIPT_CHARS } from '../env';
import { notFound, validationFailed } from '../http/errors';
import { nowIso } from '../time';
import { checkScript } from './engine';
import { deleteTask, findShopTask, insertTask, updateTask, type TaskRecord } from './store';
import { parseSubscriptions, type Subscription } from './task-subscriptions';
import { ExactNumber, parseExactJson } from '../json/exact';

/** Tasks of a shop: validation and changes. */

const name = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, "can't be blank"),
  v.maxLength(255, 'is too long (at most 255 characters)'),
);
/** One topic a line; an array of lines is accepted too and joined. */
const subscriptions = v.union(
  [
    v.string(),
    v.pipe(
      v.array(v.string()),
      v.transform((lines) => lines.join('\n')),
    ),
  ],
  'must be text with one topic per line, or an array of topics',
);
const script = v.pipe(
  v.string('must be a string'),
  v.maxLength(MAX_TASK_SCRIPT_CHARS, `is too long (at most ${MAX_TASK_SCRIPT_CHARS} characters)`),
);
const options = v.pipe(
  v.unknown(),
  v.check(
    (o) => typeof o === 'object' && o !== null && !Array.isArray(o) && !(o instanceof ExactNumber),
    'must be a JSON object',
  ),
  v.transform((o) => o as Record<string, unknown>),
  v.check(
    (o) => JSON.stringify(o).length <= MAX_TASK_OPTIONS_BYTES,
    `is too large (at most ${MAX_TASK_OPTIONS_BYTES} bytes)`,
  ),
);
const enabled = v.boolean('must be true or false');

export const createTaskSchema = v.strictObject({
  name,
  subscriptions,
  script,
  options: v.optional(options, {}),
  enabled: v.optional(enabled, true),
});

export const updateTaskSchema = v.strictObject({
  name: v.optional(name),
  subscriptions: v.optional(subscriptions),
  script: v.optional(script),
  options: v.optional(options),
  enabled: v.optional(enabled),
});

export const previewSchema = v.strictObject({
  event: v.optional(
    v.strictObject({
      topic: v.optional(v.string('must be a string')),
      data: v.optional(v.unknown()),
      webhook_request_id: v.optional(v.nullable(v.string('must be a string'))),
    }),
  ),
  script: v.optional(script),
  options: v.optional(options),
});

/** Parses subscriptions and the script; every problem becomes one 422. */
function checkTaskContent(text: string, source: string): Subscription[] {
  const fields: Record<string, string[]> = {};
  const parsed = parseSubscriptions(text);
  if (!parsed.ok) fields['subscriptions'] = parsed.problems;
  const scriptProblem = checkScript(source);
  if (scriptProblem !== null) fields['script'] = [scriptProblem];
  if (!parsed.ok || scriptProblem !== null) throw validationFailed(fields);
  return parsed.subscriptions;
}

export async function createTask(
  env: Env,
  shopId: string,
  input: v.InferOutput<typeof createTaskSchema>,
): Promise<TaskRecord> {
  const subs = checkTaskContent(input.subscriptions, input.script);
  const now = nowIso();
  const task: TaskRecord = {
    id: crypto.randomUUID(),
    shopId,
    name: input.name,
    subscriptions: input.subscriptions,
    script: input.script,
    optionsJson: JSON.stringify(input.options),
    enabled: input.enabled,
    createdAt: now,
    updatedAt: now,
  };
  await insertTask(primaryDb(env), task, subs);
  return task;
}

export async function requireTask(env: Env, shopId: string, id: string): Promise<TaskRecord> {
  const task = await findShopTask(primaryDb(env), shopId, id);
  if (task === null) throw notFound('Task');
  return task;
}

export async function changeTask(
  env: Env,
  shopId: string,
  id: string,
  input: v.InferOutput<typeof updateTaskSchema>,
): Promise<TaskRecord> {
  const current = await requireTask(env, shopId, id);
  const task: TaskRecord = {
    ...current,
    name: input.name ?? current.name,
    subscriptions: input.subscriptions ?? current.subscriptions,
    script: input.script ?? current.script,
    optionsJson: input.options ? JSON.stringify(input.options) : current.optionsJson,
    enabled: input.enabled ?? current.enabled,
    updatedAt: nowIso(),
  };
  const subs = checkTaskContent(task.subscriptions, task.script);
  await updateTask(primaryDb(env), task, subs);
  return task;
}

export async function removeTask(env: Env, shopId: string, id: string): Promise<void> {
  if (!(await deleteTask(primaryDb(env), shopId, id))) throw notFound('Task');
}

/** The task as the management API shows it. */
export function taskToApi(task: TaskRecord) {
  const parsed = parseSubscriptions(task.subscriptions);
  return {
    id: task.id,
    name: task.name,
    subscriptions: task.subscriptions,
    topics: parsed.ok ? parsed.subscriptions.map((s) => ({ topic: s.topic, delay_seconds: s.delaySeconds })) : [],
    script: task.script,
    options: parseExactJson(task.optionsJson),
    enabled: task.enabled,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
}

import { beforeAll, describe, expect, it } from 'vitest';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { createTask } from '../task-helpers';

let token: string;
let other: string;

beforeAll(async () => {
  ({ token } = await createShopWithApp());
  ({ token: other } = await createShopWithApp());
});

interface ApiTask {
  id: string;
  name: string;
  subscriptions: string;
  topics: { topic: string; delay_seconds: number }[];
  script: string;
  options: unknown;
  enabled: boolean;
}

const SCRIPT = '{% action "echo", event.data %}';

describe('POST /api/v1/tasks', () => {
  it('creates a task with subscriptions, delays, script and options', async () => {
    const res = await call(
      '/api/v1/tasks',
      jsonInit('POST', token, {
        name: 'Thank you',
        subscriptions: 'user/form/submit\n\nuser/form/submit +5.minutes\nshopify/orders/create+1.day',
        script: SCRIPT,
        options: { greeting: 'hi' },
      }),
    );
    expect(res.status).toBe(201);
    const { task } = await res.json<{ task: ApiTask }>();
    expect(task).toMatchObject({
      name: 'Thank you',
      enabled: true,
      options: { greeting: 'hi' },
      script: SCRIPT,
      topics: [
        { topic: 'user/form/submit', delay_seconds: 0 },
        { topic: 'user/form/submit', delay_seconds: 300 },
        { topic: 'shopify/orders/create', delay_seconds: 86_400 },
      ],
    });
  });

  it('accepts every delay unit, singular or plural', async () => {
    const id = await createTask(token, {
      subscriptions: ['user/a/b +1.second', 'user/a/b +2.hours', 'user/a/b +1.week', 'user/a/b +3.minute'],
      script: SCRIPT,
    });
    const res = await call(`/api/v1/tasks/${id}`, jsonInit('GET', token));
    const { task } = await res.json<{ task: ApiTask }>();
    expect(task.topics.map((t) => t.delay_seconds)).toEqual([1, 7_200, 604_800, 180]);
  });

  it('rejects invalid subscriptions with 422 naming each line', async () => {
    const res = await call(
      '/api/v1/tasks',
      jsonInit('POST', token, {
        name: 'x',
        subscriptions: 'user/ok/fine\nnot a topic\nuser/a/b +5.fortnights',
        script: SCRIPT,
      }),
    );
    expect(res.status).toBe(422);
    const body = await res.json<{ error: { code: string; fields: Record<string, string[]> } }>();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.fields['subscriptions']).toEqual([
      expect.stringMatching(/^line 2: "not a topic" is not a topic/),
      expect.stringMatching(/^line 3: "\+5\.fortnights" is not a delay/),
    ]);
  });

  it('rejects empty subscriptions', async () => {
    const res = await call(
      '/api/v1/tasks',
      jsonInit('POST', token, { name: 'x', subscriptions: '\n  \n', script: SCRIPT }),
    );
    expect(res.status).toBe(422);
    expect((await res.json<{ error: { fields: Record<string, string[]> } }>()).error.fields).toEqual({
      subscriptions: ['at least one topic is required'],
    });
  });

  it('rejects a script that does not parse with 422 and the parser message with its line', async () => {
    const res = await call(
      '/api/v1/tasks',
      jsonInit('POST', token, { name: 'x', subscriptions: 'user/a/b', script: 'line one\n{% if x %}\n{{ y }}' }),
    );
    expect(res.status).toBe(422);
    const { error } = await res.json<{ error: { fields: Record<string, string[]> } }>();
    expect(error.fields['script']![0]).toMatch(/tag \{% if x %\} not closed, line:2, col:1/);
  });

  it('rejects unknown fields, a non-object options and a missing script', async () => {
    const res = await call(
      '/api/v1/tasks',
      jsonInit('POST', token, { name: 'x', subscriptions: 'user/a/b', options: [1], extra: 1 }),
    );
    expect(res.status).toBe(422);
    const { error } = await res.json<{ error: { fields: Record<string, string[]> } }>();
    expect(Object.keys(error.fields).sort()).toEqual(['extra', 'options', 'script']);
  });

  it('needs an app token', async () => {
    expect((await call('/api/v1/tasks', jsonInit('POST', null, {}))).status).toBe(401);
  });
});

describe('GET, PATCH, DELETE /api/v1/tasks/{id}', () => {
  it('lists a shop’s tasks only, with pagination', async () => {
    const { token: fresh } = await createShopWithApp();
    const a = await createTask(fresh, { name: 'a', script: SCRIPT });
    const b = await createTask(fresh, { name: 'b', script: SCRIPT });
    const first = await call('/api/v1/tasks?limit=1', jsonInit('GET', fresh));
    const page1 = await first.json<{ tasks: ApiTask[]; next_cursor: string }>();
    expect(page1.tasks.map((t) => t.id)).toEqual([a]);
    const second = await call(`/api/v1/tasks?limit=1&cursor=${page1.next_cursor}`, jsonInit('GET', fresh));
    expect((await second.json<{ tasks: ApiTask[] }>()).tasks.map((t) => t.id)).toEqual([b]);
    expect((await call(`/api/v1/tasks/${a}`, jsonInit('GET', other))).status).toBe(404);
  });

  it('updates fields and re-validates subscriptions and script', async () => {
    const id = await createTask(token, { script: SCRIPT });
    const ok = await call(
      `/api/v1/tasks/${id}`,
      jsonInit('PATCH', token, { name: 'renamed', subscriptions: 'user/x/y' }),
    );
    expect(ok.status).toBe(200);
    expect((await ok.json<{ task: ApiTask }>()).task).toMatchObject({
      name: 'renamed',
      topics: [{ topic: 'user/x/y' }],
    });
    const bad = await call(`/api/v1/tasks/${id}`, jsonInit('PATCH', token, { script: '{% endfor %}' }));
    expect(bad.status).toBe(422);
    const after = await call(`/api/v1/tasks/${id}`, jsonInit('GET', token));
    expect((await after.json<{ task: ApiTask }>()).task.script).toBe(SCRIPT);
  });

  it('enables and disables', async () => {
    const id = await createTask(token, { script: SCRIPT });
    const off = await call(`/api/v1/tasks/${id}/disable`, jsonInit('POST', token));
    expect((await off.json<{ task: ApiTask }>()).task.enabled).toBe(false);
    const on = await call(`/api/v1/tasks/${id}/enable`, jsonInit('POST', token));
    expect((await on.json<{ task: ApiTask }>()).task.enabled).toBe(true);
    const wrong = await call(`/api/v1/tasks/${id}/enable`, jsonInit('GET', token));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('deletes; a second delete and another shop’s delete are 404', async () => {
    const id = await createTask(token, { script: SCRIPT });
    expect((await call(`/api/v1/tasks/${id}`, jsonInit('DELETE', other))).status).toBe(404);
    expect((await call(`/api/v1/tasks/${id}`, jsonInit('DELETE', token))).status).toBe(204);
    expect((await call(`/api/v1/tasks/${id}`, jsonInit('DELETE', token))).status).toBe(404);
  });
});

describe('POST /api/v1/tasks/{id}/preview', () => {
  it('returns would-be actions, logs and errors without performing anything', async () => {
    const id = await createTask(token, {
      subscriptions: 'user/form/submit',
      script: '{% log event.topic %}{% action "cache", "set", "preview-key", event.data.name %}{% error "careful" %}',
    });
    const res = await call(
      `/api/v1/tasks/${id}/preview`,
      jsonInit('POST', token, { event: { data: { name: 'Ada' } } }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      preview: {
        ok: true,
        actions: [{ type: 'cache', options: ['set', 'preview-key', 'Ada'], meta: null }],
        logs: ['user/form/submit'],
        errors: ['careful'],
        error: null,
      },
    });
    const cache = await call('/api/v1/cache/preview-key', jsonInit('GET', token));
    expect(cache.status).toBe(404);
  });

  it('reports a render failure, and can preview a script and options from the body', async () => {
    const id = await createTask(token, { script: SCRIPT });
    const broken = await call(`/api/v1/tasks/${id}/preview`, jsonInit('POST', token, { script: 'plain text' }));
    expect((await broken.json<{ preview: { ok: boolean; error: string } }>()).preview).toMatchObject({
      ok: false,
      error: expect.stringContaining('"plain text"'),
    });
    const withOptions = await call(
      `/api/v1/tasks/${id}/preview`,
      jsonInit('POST', token, { script: '{% log options.x %}', options: { x: 7 } }),
    );
    expect((await withOptions.json<{ preview: { logs: unknown[] } }>()).preview.logs).toEqual([7]);
  });
});

import { describe, expect, it } from 'vitest';
import { TASK_OUTPUT_MAX_CHARS } from '../../src/env';
import { checkScript, renderTask, type CacheReader, type RenderScope } from '../../src/tasks/engine';

const scope: RenderScope = {
  event: { id: 'e1', topic: 'user/form/submit', data: { name: 'Ada', items: [1, 2] }, parent: null },
  shop: { id: 's1', myshopify_domain: 'demo.myshopify.com' },
  task: { id: 't1', name: 'Test' },
  options: { greeting: 'Hello' },
};
const noCache: CacheReader = async () => undefined;

async function render(script: string, cache = noCache) {
  return renderTask(script, scope, cache);
}

describe('renderTask: tag forms (spec "Tags that write those objects")', () => {
  it('positional action → options array', async () => {
    expect(await render(`{% action "cache", "set", "k", event.data.name %}`)).toEqual({
      ok: true,
      actions: [{ type: 'cache', options: ['set', 'k', 'Ada'], meta: null }],
      logs: [],
      errors: [],
    });
  });

  it('mapped action → options object', async () => {
    const out = await render(`{% action "echo", foo: "bar", n: 2 %}`);
    expect(out).toMatchObject({ ok: true, actions: [{ type: 'echo', options: { foo: 'bar', n: 2 } }] });
  });

  it('single action → options value', async () => {
    const out = await render(`{% action "echo", "x" %}`);
    expect(out).toMatchObject({ ok: true, actions: [{ type: 'echo', options: 'x' }] });
  });

  it('typed block → options are the parsed JSON', async () => {
    const out = await render(
      `{% action "http" %}{"method": "POST", "url": "https://x.test/{{ event.id }}"}{% endaction %}`,
    );
    expect(out).toMatchObject({
      ok: true,
      actions: [{ type: 'http', options: { method: 'POST', url: 'https://x.test/e1' } }],
    });
  });

  it('untyped block → type, options and meta from the JSON', async () => {
    const out = await render(`{% action %}{"type":"echo","options":{"a":1},"meta":{"m":true}}{% endaction %}`);
    expect(out).toMatchObject({ ok: true, actions: [{ type: 'echo', options: { a: 1 }, meta: { m: true } }] });
  });

  it('log and error tags, value and name: value forms', async () => {
    const out = await render(
      `{% log event.data.name %}{% log seen: true, n: 3 %}{% error "bad" %}{% error message: "m", details: event.data.items %}`,
    );
    expect(out).toEqual({
      ok: true,
      actions: [],
      logs: ['Ada', { seen: true, n: 3 }],
      errors: ['bad', { message: 'm', details: [1, 2] }],
    });
  });

  it('keeps the order of several actions and exposes options, task and shop', async () => {
    const out = await render(
      `{% action "echo", options.greeting %}\n{% action "echo", task.name %}\n{% action "echo", shop.myshopify_domain %}`,
    );
    expect(out).toMatchObject({
      ok: true,
      actions: [{ options: 'Hello' }, { options: 'Test' }, { options: 'demo.myshopify.com' }],
    });
  });

  it('reads the cache with cache["key"] and cache.key; missing is nil', async () => {
    const reader = async (key: string) => (key === 'count' ? 41 : undefined);
    const out = await render(
      `{% assign n = cache["count"] | plus: 1 %}{% log n %}{% log cache.count %}{% if cache.nope == nil %}{% log "nil" %}{% endif %}`,
      reader,
    );
    expect(out).toMatchObject({ ok: true, logs: [42, 41, 'nil'] });
  });

  it('reads event.parent chains', async () => {
    const out = await renderTask(
      `{% log event.parent.parent.topic %}`,
      { ...scope, event: { ...scope.event, parent: { topic: 'a/b/c', parent: { topic: 'user/root/x' } } } },
      noCache,
    );
    expect(out).toMatchObject({ ok: true, logs: ['user/root/x'] });
  });
});

describe('renderTask: synchronous first, asynchronous for cache reads (issue 13)', () => {
  /** Microtask turns until `promise` settles; liquidjs's async mode takes about ten per node. */
  async function turnsUntilSettled(promise: Promise<unknown>): Promise<number> {
    let settled = false;
    void promise.then(() => (settled = true));
    let turns = 0;
    while (!settled) {
      await Promise.resolve();
      turns++;
    }
    return turns;
  }

  it('a script that reads no cache renders without awaiting anything', async () => {
    const script = `{% for i in (1..20) %}{% action "echo", i %}{% endfor %}{% assign n = event.data.name | upcase %}{% log n %}`;
    const turns = await turnsUntilSettled(renderTask(script, scope, noCache));
    expect(turns).toBe(1);
    expect(await render(script)).toMatchObject({ ok: true, logs: ['ADA'] });
  });

  it('a cache read part-way restarts the render asynchronously; nothing of the first attempt is kept', async () => {
    const reads: string[] = [];
    const reader: CacheReader = async (key) => {
      reads.push(key);
      return key === 'count' ? 41 : undefined;
    };
    const out = await render(
      `{% action "echo", "before" %}{% log "seen" %}{% assign n = cache.count | plus: 1 %}{% action "echo", n %}`,
      reader,
    );
    expect(out).toEqual({
      ok: true,
      actions: [
        { type: 'echo', options: 'before', meta: null },
        { type: 'echo', options: 42, meta: null },
      ],
      logs: ['seen'],
      errors: [],
    });
    expect(reads).toEqual(['count']);
  });

  it('a cache read that a filter would swallow still gets its value', async () => {
    const reader: CacheReader = async (key) => (key === 'name' ? 'Grace' : undefined);
    const out = await render(`{% assign who = cache.name | default: "nobody" %}{% log who %}`, reader);
    expect(out).toMatchObject({ ok: true, logs: ['Grace'] });
  });

  it('a script that fails before reading the cache fails the same way, with no read', async () => {
    const reads: string[] = [];
    const reader: CacheReader = async (key) => {
      reads.push(key);
      return undefined;
    };
    const out = await render(
      `{% for i in (1..100000) %}{% for j in (1..100) %}{% endfor %}{% endfor %}{% log cache.count %}`,
      reader,
    );
    expect(out).toEqual({ ok: false, error: expect.stringContaining('render step limit exceeded') });
    expect(reads).toEqual([]);
  });
});

describe('renderTask: failures', () => {
  it('text that is not an output object fails the run naming the text', async () => {
    const out = await render(`hello {% log 1 %}`);
    expect(out).toEqual({ ok: false, error: expect.stringContaining('"hello {\\"log\\":1}"') });
  });

  it('an unknown action type fails the run', async () => {
    const out = await render(`{% action "email", "x" %}`);
    expect(out).toEqual({ ok: false, error: expect.stringContaining('Unknown action type "email"') });
  });

  it('an action block that is not JSON fails with the reason and line', async () => {
    const out = await render(`\n{% action "http" %}not json{% endaction %}`);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toMatch(/action block is not valid JSON.*line:2/);
  });

  it('a loop that never ends within the step budget fails instead of hanging', async () => {
    const out = await render(`{% for i in (1..100000) %}{% for j in (1..100) %}{% endfor %}{% endfor %}`);
    expect(out).toEqual({ ok: false, error: expect.stringMatching(/limit exceeded/) });
  });

  it('output larger than the limit fails the run', async () => {
    const out = await render(`{% for i in (1..${TASK_OUTPUT_MAX_CHARS / 10 + 10}) %}{% log 12345678 %}{% endfor %}`);
    expect(out).toEqual({ ok: false, error: expect.stringMatching(/exceeds|limit exceeded/) });
  });

  it('a tag that throws at render time fails the run with its message', async () => {
    const out = await render(`{% log 1 %}{% include "missing" %}`);
    expect(out).toEqual({ ok: false, error: expect.stringMatching(/^Render failed: .*missing/) });
  });
});

describe('checkScript', () => {
  it('returns null for a script that parses', () => {
    expect(checkScript(`{% action "echo", 1 %}`)).toBeNull();
  });

  it('returns the parser message with the line for one that does not', () => {
    expect(checkScript(`ok\n{% if x %}\nno end`)).toMatch(/not closed.*line:2/);
    expect(checkScript(`{{ x | no_such_filter }}`)).toMatch(/undefined filter: no_such_filter/);
    expect(checkScript(`\n\n{% action "echo" "x" %}`)).toMatch(/line:3/);
  });
});

/// <reference lib="dom" />
// (DOM types for the code that page.evaluate runs inside Chromium.)
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../scripts/demo-data.mjs';
import { allowOrigin, servePage, startDemo } from '../../scripts/lib/demo.mjs';
import { freePort } from '../../scripts/lib/local.mjs';

// The storefront loop in a real browser: the demo page, served from its own origin, posts to the
// Worker's webhook three ways and reads the task's answer from a cache endpoint; CORS is enforced
// by Chromium and by the server.

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-e2e-'));
let demo: Awaited<ReturnType<typeof startDemo>>;
let browser: Browser;
const extraPages: Server[] = [];
const app = { authorization: `Bearer ${DEMO.appToken}`, 'content-type': 'application/json' };

/** The demo page served from one more origin, which the shop has not allowed (yet). */
async function anotherOrigin(): Promise<string> {
  const port = await freePort();
  extraPages.push(
    await servePage(port, {
      workerUrl: demo.workerUrl,
      webhookId: DEMO.webhookId,
      resultPrefixUrl: `${demo.workerUrl}/cache/${DEMO.greetingEndpointToken}`,
    }),
  );
  return `http://localhost:${port}`;
}

async function eventsStored(): Promise<string[]> {
  const res = await fetch(`${demo.workerUrl}/api/v1/events?limit=250`, { headers: app });
  return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id);
}

async function eventForRequest(requestId: string): Promise<{ data: Record<string, unknown> }> {
  const res = await fetch(`${demo.workerUrl}/api/v1/events?webhook_request_id=${requestId}&include=data`, {
    headers: app,
  });
  const [event] = ((await res.json()) as { events: { data: Record<string, unknown> }[] }).events;
  if (!event) throw new Error(`no event for ${requestId}`);
  return event;
}

async function eventsForRequest(requestId: string): Promise<{ id: string; data: Record<string, unknown> }[]> {
  const res = await fetch(`${demo.workerUrl}/api/v1/events?webhook_request_id=${requestId}&include=data`, {
    headers: app,
  });
  return ((await res.json()) as { events: { id: string; data: Record<string, unknown> }[] }).events;
}

async function eventsWithName(name: string): Promise<unknown[]> {
  const res = await fetch(`${demo.workerUrl}/api/v1/events?limit=250&include=data`, { headers: app });
  return ((await res.json()) as { events: { data: Record<string, unknown> }[] }).events.filter(
    (e) => e.data['name'] === name,
  );
}

/** Waits until the page's status line says something final; returns it. */
async function finalStatus(page: Page): Promise<string> {
  await page.waitForFunction("['done', 'failed'].includes(document.getElementById('outcome').className)", null, {
    timeout: 30_000,
  });
  return (await page.textContent('#status')) ?? '';
}

async function openPage(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(origin);
  return page;
}

beforeAll(async () => {
  demo = await startDemo({
    workerPort: await freePort(),
    pagePort: await freePort(),
    persistDir: stateDir,
    quiet: true,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  for (const server of extraPages) server.close();
  await demo?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('the demo storefront in Chromium', () => {
  it.each([
    ['#json-form', 'JSON'],
    ['#file-form', 'FormData with a file'],
    ['#plain-form', 'urlencoded form'],
  ])('completes the loop from an allowed origin with %s (%s)', async (form, _style) => {
    const page = await openPage(demo.pageUrl);
    const name = `Shopper ${crypto.randomUUID().slice(0, 8)}`;
    await page.fill(`${form} input[name=name]`, name);
    if (form === '#file-form') {
      await page.setInputFiles('#file-form input[type=file]', {
        name: 'note.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('hello from a file'),
      });
    }
    await page.click(`${form} button`);
    expect(await finalStatus(page)).toBe('Done.');
    const requestId = (await page.textContent('#request-id'))!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const result = await page.textContent('#result');
    expect(result).toBe(`Hello, ${name}!${form === '#file-form' ? ' (file: note.txt)' : ''}`);
    // The event the browser's request became, as the server stored it.
    const { data } = await eventForRequest(requestId);
    expect(data['name']).toBe(name);
    if (form === '#file-form') {
      expect(data['attachment']).toMatchObject({ name: 'note.txt', mime_type: 'text/plain', size: 17 });
      expect(
        Buffer.from(String((data['attachment'] as { content_base64: string }).content_base64), 'base64').toString(),
      ).toBe('hello from a file');
      if (process.env['DEMO_SCREENSHOT'])
        await page.screenshot({ path: process.env['DEMO_SCREENSHOT'], fullPage: true });
    }
    await page.close();
  });

  it('refuses an origin outside the allow-list on the server (403, no event) and the page sees the failure', async () => {
    const origin = await anotherOrigin();
    const before = await eventsStored();
    const page = await openPage(origin);
    await page.click('#plain-form button'); // a simple request: the browser sends it, the server must refuse it
    expect(await finalStatus(page)).toMatch(/^Refused/);
    expect(await page.textContent('#request-id')).toBe('—');
    await page.click('#json-form button'); // a preflighted one
    expect(await finalStatus(page)).toMatch(/^Refused/);
    // What the server answered those requests (the browser hides it from the page): 403, no CORS headers.
    const webhook = `${demo.workerUrl}/webhooks/${DEMO.webhookId}`;
    const simple = await fetch(webhook, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x',
    });
    expect(simple.status).toBe(403);
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(webhook, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(403);
    await new Promise((r) => setTimeout(r, 1_500)); // anything accepted would be stored by now
    expect(await eventsStored()).toEqual(before);
    await page.close();
  });

  it('lets the same origin through once the shop allows all origins', async () => {
    const origin = await anotherOrigin();
    const page = await openPage(origin);
    await page.click('#json-form button');
    expect(await finalStatus(page)).toMatch(/^Refused/);
    const res = await fetch(`${demo.workerUrl}/api/v1/cors`, {
      method: 'PUT',
      headers: app,
      body: JSON.stringify({ allow_all: true }),
    });
    expect(res.status).toBe(200);
    try {
      await page.click('#json-form button');
      expect(await finalStatus(page)).toBe('Done.');
    } finally {
      await fetch(`${demo.workerUrl}/api/v1/cors`, {
        method: 'PUT',
        headers: app,
        body: JSON.stringify({ allow_all: false }),
      });
    }
    await page.close();
  });

  it('reads the cache endpoint cross-origin, 304 on an unchanged value', async () => {
    const page = await openPage(demo.pageUrl);
    await page.click('#json-form button');
    expect(await finalStatus(page)).toBe('Done.');
    const endpoint = `${demo.workerUrl}/cache/${DEMO.greetingEndpointToken}/${await page.textContent('#request-id')}`;
    const seen = await page.evaluate(async (url) => {
      const noStore = { cache: 'no-store' } as RequestInit;
      const first = await fetch(url, noStore);
      const etag = first.headers.get('etag');
      const value = await first.json();
      const second = await fetch(url, { ...noStore, headers: { 'if-none-match': etag ?? '' } });
      return { first: first.status, etag, value, second: second.status };
    }, endpoint);
    expect(seen.first).toBe(200);
    expect(seen.etag).toMatch(/^(W\/)?".+"$/);
    expect(seen.value).toEqual({ greeting: 'Hello, Ada!', file: '' });
    expect(seen.second).toBe(304);
    await page.close();
  });

  it('accepts a new origin added through the management API at once, without waiting for KV', async () => {
    const origin = await anotherOrigin();
    const page = await openPage(origin);
    await page.click('#json-form button');
    expect(await finalStatus(page)).toMatch(/^Refused/);
    await allowOrigin(demo.workerUrl, origin);
    await page.click('#json-form button'); // no wait between the change and the request
    expect(await finalStatus(page)).toBe('Done.');
    await page.close();
  });

  it("two pages posting at the same instant each show their own result, never the other's", async () => {
    for (let round = 0; round < 3; round++) {
      const pages = [await openPage(demo.pageUrl), await openPage(demo.pageUrl)];
      const names = pages.map((_, i) => `Shopper ${round}-${i} ${crypto.randomUUID().slice(0, 6)}`);
      for (const [i, page] of pages.entries()) await page.fill('#json-form input[name=name]', names[i]!);
      await Promise.all(pages.map((page) => page.click('#json-form button')));
      const statuses = await Promise.all(pages.map(finalStatus));
      expect(statuses).toEqual(['Done.', 'Done.']);
      for (const [i, page] of pages.entries()) expect(await page.textContent('#result')).toBe(`Hello, ${names[i]}!`);
      for (const page of pages) await page.close();
    }
  });

  it('a credentialed fetch and a credentialed XHR each see success and create exactly one event', async () => {
    const page = await openPage(demo.pageUrl);
    const webhook = `${demo.workerUrl}/webhooks/${DEMO.webhookId}`;
    const seen = await page.evaluate(async (url) => {
      const viaFetch = await fetch(url, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'credentialed fetch' }),
      });
      const viaXhr = await new Promise<{ status: number; requestId: string | null }>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', url);
        xhr.withCredentials = true; // what jQuery's xhrFields: {withCredentials: true} sets
        xhr.setRequestHeader('content-type', 'application/json');
        xhr.onload = () => resolve({ status: xhr.status, requestId: xhr.getResponseHeader('x-request-id') });
        xhr.onerror = () => reject(new Error('XHR failed'));
        xhr.send(JSON.stringify({ name: 'credentialed xhr' }));
      });
      return [{ status: viaFetch.status, requestId: viaFetch.headers.get('x-request-id') }, viaXhr];
    }, webhook);
    for (const { status, requestId } of seen) {
      expect(status).toBe(204);
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    await new Promise((r) => setTimeout(r, 1_500)); // a duplicate would be stored by now
    for (const { requestId } of seen) expect(await eventsForRequest(requestId!)).toHaveLength(1);
    await page.close();
  });

  it('a sendBeacon with a JSON Blob is sent and creates exactly one event', async () => {
    const page = await openPage(demo.pageUrl);
    const marker = `beacon ${crypto.randomUUID()}`;
    const queued = await page.evaluate(
      ([url, name]) => navigator.sendBeacon(url!, new Blob([JSON.stringify({ name })], { type: 'application/json' })),
      [`${demo.workerUrl}/webhooks/${DEMO.webhookId}`, marker],
    );
    expect(queued).toBe(true);
    await expect.poll(() => eventsWithName(marker), { timeout: 10_000 }).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await eventsWithName(marker)).toHaveLength(1);
    await page.close();
  });

  it('a POST retried with the same Idempotency-Key gets the same x-request-id and makes one event; another body is a 409', async () => {
    const page = await openPage(demo.pageUrl);
    const ids = await page.evaluate(async (url) => {
      const key = crypto.randomUUID();
      const send = (name: string) =>
        fetch(url, {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ name }),
        }).then((res) => ({ status: res.status, requestId: res.headers.get('x-request-id') }));
      const first = await send('first try');
      const retry = await send('first try');
      const reused = await send('another body');
      return [first, retry, reused];
    }, `${demo.workerUrl}/webhooks/${DEMO.webhookId}`);
    expect(ids.map((r) => r.status)).toEqual([204, 204, 409]);
    expect(ids[1]!.requestId).toBe(ids[0]!.requestId);
    expect(ids[2]!.requestId).not.toBe(ids[0]!.requestId);
    await new Promise((r) => setTimeout(r, 1_500));
    const events = await eventsForRequest(ids[0]!.requestId!);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({ name: 'first try' });
    expect(await eventsForRequest(ids[2]!.requestId!)).toHaveLength(0);
    await page.close();
  });
});

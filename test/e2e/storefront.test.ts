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
      resultEndpoint: `${demo.workerUrl}/cache/${DEMO.lastResultEndpointToken}`,
    }),
  );
  return `http://localhost:${port}`;
}

async function eventsStored(): Promise<string[]> {
  const res = await fetch(`${demo.workerUrl}/api/v1/events?limit=250`, { headers: app });
  return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id);
}

async function eventForRequest(requestId: string): Promise<{ data: Record<string, unknown> }> {
  const res = await fetch(`${demo.workerUrl}/api/v1/events?webhook_request_id=${requestId}&include=data`, { headers: app });
  const [event] = ((await res.json()) as { events: { data: Record<string, unknown> }[] }).events;
  if (!event) throw new Error(`no event for ${requestId}`);
  return event;
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
  demo = await startDemo({ workerPort: await freePort(), pagePort: await freePort(), persistDir: stateDir, quiet: true });
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
      await page.setInputFiles('#file-form input[type=file]', { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from a file') });
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
      expect(Buffer.from(String((data['attachment'] as { content_base64: string }).content_base64), 'base64').toString()).toBe('hello from a file');
      if (process.env['DEMO_SCREENSHOT']) await page.screenshot({ path: process.env['DEMO_SCREENSHOT'], fullPage: true });
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
    const simple = await fetch(webhook, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=x' });
    expect(simple.status).toBe(403);
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(webhook, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
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
    const res = await fetch(`${demo.workerUrl}/api/v1/cors`, { method: 'PUT', headers: app, body: JSON.stringify({ allow_all: true }) });
    expect(res.status).toBe(200);
    try {
      await page.click('#json-form button');
      expect(await finalStatus(page)).toBe('Done.');
    } finally {
      await fetch(`${demo.workerUrl}/api/v1/cors`, { method: 'PUT', headers: app, body: JSON.stringify({ allow_all: false }) });
    }
    await page.close();
  });

  it('reads the cache endpoint cross-origin, 304 on an unchanged value', async () => {
    const page = await openPage(demo.pageUrl);
    await page.click('#json-form button');
    expect(await finalStatus(page)).toBe('Done.');
    const endpoint = `${demo.workerUrl}/cache/${DEMO.lastResultEndpointToken}`;
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
    expect(seen.value).toMatchObject({ request_id: await page.textContent('#request-id') });
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
});

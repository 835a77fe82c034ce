// A real HTTP receiver for delivery tests, on 127.0.0.1, started by vitest's globalSetup in Node.
// It verifies every request with code edgehook did not write: the Shopify HMAC with Node's crypto
// and the Standard Webhooks signature with the `standardwebhooks` package.
//
//   POST /_script/<key>  {"responses": [{"status": 500}, {"delayMs": 6000}, {"bodyDelayMs": 6000}, …],
//                         "then": {"status": 200},
//                         "shopifySecret": "whsec_…", "standardSecrets": ["whsec_…"]}
//   any  /r/<key>[/…]    answers with the next scripted response (default 200) and records the request;
//                         a response's `body` is sent as JSON. With the script's `accessToken` set it
//                         is also a Shopify Admin API stand-in: a request without that
//                         X-Shopify-Access-Token gets Shopify's 401, as the real API answers
//   GET  /_requests/<key> the recorded requests, with verification results
//   any  other path       echoes what it received as JSON (for the `http` action's tests);
//                         `/status/<code>` answers with that status, `/slow` after 3 s,
//                         `/huge` 100 MiB chunked (no length), `/gzip-bomb` 256 MiB of zeros gzipped
import { createHmac, timingSafeEqual } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { ReceivedRequest } from './types.js';

interface ScriptedResponse {
  status?: number;
  delayMs?: number;
  /** Sends the status and the first byte of the body at once, the rest this much later. */
  bodyDelayMs?: number;
  location?: string;
  /** Sent as JSON (content-type application/json) in place of `ok`. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Script {
  responses: ScriptedResponse[];
  then: ScriptedResponse;
  shopifySecret?: string;
  standardSecrets?: string[];
  accessToken?: string;
}

export function startReceiver(): Promise<{ server: Server; port: number }> {
  const scripts = new Map<string, Script>();
  const received = new Map<string, ReceivedRequest[]>();
  /** Requests per key being answered right now (a scripted delay keeps one in flight). */
  const inFlight = new Map<string, number>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(599).end(String(err));
    });
  });
  // Each TCP connection's number, so tests can tell whether requests shared one.
  const connections = new WeakMap<object, number>();
  let opened = 0;
  server.on('connection', (socket) => connections.set(socket, ++opened));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const [, kind, key = ''] = path.split('/');

    if (kind === '_script' && req.method === 'POST') {
      const script = JSON.parse(raw.toString('utf8')) as Partial<Script>;
      scripts.set(key, { responses: script.responses ?? [], then: script.then ?? { status: 200 }, ...script });
      received.set(key, []);
      res.writeHead(204).end();
      return;
    }
    if (kind === '_requests') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received.get(key) ?? []));
      return;
    }
    if (path === '/huge') return void sendHuge(res);
    if (path === '/gzip-bomb') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipBomb());
      return;
    }
    if (kind !== 'r') {
      const status = /^\/status\/(\d{3})$/.exec(path);
      if (path === '/slow') await new Promise((resolve) => setTimeout(resolve, 3_000));
      res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', 'x-receiver': 'yes' });
      res.end(JSON.stringify({ method: req.method, path, headers: req.headers, body: raw.toString('utf8') }));
      return;
    }

    const concurrent = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, concurrent);
    try {
      await answer(req, res, raw, key, concurrent);
    } finally {
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    }
  }

  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    key: string,
    concurrent: number,
  ): Promise<void> {
    const script = scripts.get(key) ?? { responses: [], then: { status: 200 } };
    const wrongToken = script.accessToken !== undefined && req.headers['x-shopify-access-token'] !== script.accessToken;
    const response: ScriptedResponse = wrongToken
      ? {
          status: 401,
          body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' },
        }
      : (script.responses.shift() ?? script.then);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    }
    const record: ReceivedRequest = {
      method: req.method ?? '',
      path: new URL(req.url ?? '/', 'http://receiver').pathname,
      headers,
      body: raw.toString('utf8'),
      bodyBase64: raw.toString('base64'),
      receivedAt: Date.now(),
      connection: connections.get(req.socket) ?? 0,
      concurrent,
      answered: response.status ?? 200,
      shopifyHmacValid: script.shopifySecret
        ? verifyShopifyHmac(script.shopifySecret, raw, headers['x-shopify-hmac-sha256'])
        : null,
      standardSignatureValid: (script.standardSecrets ?? []).map((secret) => verifyStandard(secret, raw, headers)),
    };
    received.set(key, [...(received.get(key) ?? []), record]);
    if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
    const out: Record<string, string> = response.location ? { location: response.location } : {};
    if (res.destroyed) return;
    if (response.body !== undefined) {
      res.writeHead(response.status ?? 200, { ...out, ...response.headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(response.body));
      return;
    }
    res.writeHead(response.status ?? 200, { ...out, ...response.headers });
    if (response.bodyDelayMs) {
      res.write('o');
      await new Promise((resolve) => setTimeout(resolve, response.bodyDelayMs));
      if (!res.destroyed) res.end('k');
    } else res.end('ok');
  }

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

const MIB = 1_048_576;

/** 100 MiB in 1 MiB chunks with no Content-Length (chunked), stopping when the reader goes away. */
async function sendHuge(res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const chunk = Buffer.alloc(MIB, 'a');
  for (let i = 0; i < 100 && !res.destroyed; i++) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
  }
  res.end();
}

let bomb: Buffer | null = null;
/** 256 MiB of zeros, gzipped to about 256 KB: made once. */
function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.alloc(256 * MIB), { level: 9 });
  return bomb;
}

/** What @shopify/shopify-api does: base64 HMAC-SHA256 of the raw body with the secret string. */
function verifyShopifyHmac(secret: string, raw: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function verifyStandard(secret: string, raw: Buffer, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(raw.toString('utf8'), headers);
    return true;
  } catch {
    return false;
  }
}

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

/**
 * vitest globalSetup for the workers project: a real HTTP server on 127.0.0.1 for the `http`
 * action to call (the workers pool cannot listen itself). Every request is answered with what it
 * received, as JSON; `/status/{code}` answers with that status, `/slow` after 3 s. Its port is
 * handed to tests as `inject('receiverPort')`.
 */
export default async function setup(project: TestProject) {
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://receiver');
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (url.pathname === '/slow') await new Promise((r) => setTimeout(r, 3_000));
    res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', 'x-receiver': 'yes' });
    res.end(JSON.stringify({ method: req.method, path: url.pathname, headers: req.headers, body }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide('receiverPort', (server.address() as AddressInfo).port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

declare module 'vitest' {
  export interface ProvidedContext {
    receiverPort: number;
  }
}

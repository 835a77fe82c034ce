// GET /?n=N: inserts N rows one statement at a time (each awaited) and answers {n, ms}.
export default {
  /** @param {Request} request @param {{ DB: any }} env */
  async fetch(request, env) {
    // No n (the readiness probe of startWranglerDev): answer at once; on a loaded machine 1,000
    // inserts took longer than the probe waits, and every retried probe queued 1,000 more.
    const n = Number(new URL(request.url).searchParams.get('n') ?? 0);
    await env.DB.prepare(
      'CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL)',
    ).run();
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await env.DB.prepare('INSERT INTO rows (id, body, created_at) VALUES (?1, ?2, ?3)')
        .bind(crypto.randomUUID(), '{"n":1}', new Date().toISOString())
        .run();
    }
    // Workers' clocks advance across I/O, so this spans the inserts.
    const ms = performance.now() - started;
    return Response.json({ n, ms });
  },
};

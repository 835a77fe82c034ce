import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

// The console as Workers Static Assets serves it (public/, built by `npm run build:console`, which
// `npm test` runs first): the page, its script and style, and the headers from public/_headers.
// The pool does not route requests through assets, so the files are read through the ASSETS
// binding; `test/e2e/console.test.ts` checks the same through wrangler dev's routing in Chromium.

const asset = (path: string) => env.ASSETS.fetch(`https://edgehook.example${path}`);

/** The CSP's directives as a map: name → sources. */
function directives(csp: string | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (csp ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name, sources);
  }
  return map;
}

describe('GET / (the console page)', () => {
  it('serves the HTML with a strict CSP: self only, no inline script, no framing, Trusted Types', async () => {
    const res = await asset('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('require-trusted-types-for')).toEqual(["'script'"]);
    for (const sources of csp.values()) {
      expect(sources).not.toContain("'unsafe-inline'");
      expect(sources).not.toContain("'unsafe-eval'");
    }
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('has no inline script or style and loads nothing from another origin (works offline)', async () => {
    const html = await (await asset('/')).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBe(1);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/console\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('serves the script and stylesheet from the same origin, under the same headers', async () => {
    for (const [path, type] of [
      ['/console.js', /javascript/],
      ['/console.css', /^text\/css/],
    ] as const) {
      const res = await asset(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(directives(res.headers.get('content-security-policy')).get('default-src'), path).toEqual(["'self'"]);
    }
    const js = await (await asset('/console.js')).text();
    // One bundle: no module imports at all, so nothing is fetched from a CDN.
    expect(js).not.toMatch(/\bimport\s*[("'{*]|\bfrom\s*["']/);
  });

  it('does not serve the _headers file itself', async () => {
    expect((await asset('/_headers')).status).toBe(404);
  });
});

describe('the Worker beside the assets', () => {
  it('still answers its own routes, and paths that match no file get its JSON 404', async () => {
    const api = await exports.default.fetch(new Request('https://edgehook.example/api/v1/shop'));
    expect(api.status).toBe(401);
    const res = await exports.default.fetch(new Request('https://edgehook.example/nothing-here'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

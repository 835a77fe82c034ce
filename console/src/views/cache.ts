// Cache endpoints (single-key and, where the server has them, prefix endpoints with `key_prefix`)
// with a "read it now" button that does what a browser does (GET /cache/{token}[/{suffix}], no
// token), and cache keys: read, set, delete.
import { api, seg } from '../api';
import { field, h, jsonBlock, replace, table, when } from '../dom';
import { act, alertBox, heading, parseJsonField, say, type ViewContext } from '../view';

interface Endpoint {
  token: string;
  key?: string | null;
  key_prefix?: string | null;
  url?: string;
  url_template?: string;
  created_at: string;
}
interface Entry {
  key: string;
  value: unknown;
  expires_at: string | null;
}

/** #/cache */
export async function cacheView(ctx: ViewContext): Promise<void> {
  const list = h('div', {});
  replace(
    ctx.main,
    heading('Cache'),
    h('h2', {}, 'Cache endpoints'),
    endpointForm(() => drawEndpoints(list)),
    list,
    h('h2', {}, 'Cache keys'),
    keyForm(),
  );
  await drawEndpoints(list);
}

function endpointForm(refresh: () => Promise<void>): HTMLFormElement {
  const key = h('input', { required: true, autocomplete: 'off', placeholder: 'quote/latest' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create endpoint');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'New cache endpoint' },
    h('fieldset', {}, h('legend', {}, 'New cache endpoint'), field('Key', key), h('div', { class: 'actions' }, submit)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      await api('POST', '/api/v1/cache_endpoints', { body: { key: key.value.trim() } });
      key.value = '';
      say('Cache endpoint created.');
      await refresh();
    });
  });
  return form;
}

async function drawEndpoints(container: HTMLElement): Promise<void> {
  const { cache_endpoints: endpoints } = await api<{ cache_endpoints: Endpoint[] }>(
    'GET',
    '/api/v1/cache_endpoints?limit=250',
  );
  if (endpoints.length === 0) {
    replace(container, h('p', { class: 'muted' }, 'No cache endpoints yet.'));
    return;
  }
  const rows = endpoints.map((e) => {
    const isPrefix = typeof e.key_prefix === 'string';
    const suffix = isPrefix
      ? h('input', { autocomplete: 'off', 'aria-label': `Suffix to read under ${e.key_prefix}` })
      : null;
    const result = h('div', { 'aria-live': 'polite' });
    const read = h(
      'button',
      { type: 'button', 'aria-label': `Read ${isPrefix ? `prefix ${e.key_prefix}` : `key ${e.key}`} now` },
      'Read it now',
    );
    read.addEventListener('click', () => act(read, () => readNow(e, suffix?.value ?? '', result)));
    const remove = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete the endpoint of ${isPrefix ? e.key_prefix : e.key}` },
      'Delete',
    );
    remove.addEventListener('click', () =>
      act(remove, async () => {
        if (!confirm('Delete this cache endpoint? Browsers reading it will get 404.')) return;
        await api('DELETE', `/api/v1/cache_endpoints/${seg(e.token)}`);
        say('Cache endpoint deleted.');
        await drawEndpoints(container);
      }),
    );
    return [
      isPrefix ? ['prefix ', h('code', {}, e.key_prefix!)] : h('code', {}, e.key ?? ''),
      h('code', {}, e.url_template ?? e.url ?? `/cache/${e.token}`),
      when(e.created_at),
      h('div', { class: 'actions' }, suffix, read, remove),
      result,
    ];
  });
  replace(container, table('Cache endpoints of this shop', ['Key', 'URL', 'Created', 'Actions', 'Value read'], rows));
}

/** Reads the endpoint as a browser would: same origin, no token, no cache. */
async function readNow(endpoint: Endpoint, suffix: string, out: HTMLElement): Promise<void> {
  const path = `/cache/${seg(endpoint.token)}${typeof endpoint.key_prefix === 'string' ? `/${suffix.split('/').map(seg).join('/')}` : ''}`;
  const started = performance.now();
  const response = await fetch(path, { cache: 'no-store', credentials: 'omit' });
  const elapsed = Math.round(performance.now() - started);
  const text = await response.text();
  replace(
    out,
    h('p', { class: 'muted' }, `HTTP ${response.status} in ${elapsed} ms`),
    jsonBlock(prettyJson(text), 'Value read'),
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function keyForm(): HTMLFormElement {
  const key = h('input', { required: true, autocomplete: 'off', id: 'cache-key' });
  const value = h('textarea', { rows: 3, spellcheck: 'false', id: 'cache-value' });
  const ttl = h('input', { inputmode: 'numeric', autocomplete: 'off', id: 'cache-ttl' });
  const out = h('div', { 'aria-live': 'polite' });
  const readButton = h('button', { type: 'submit' }, 'Read key');
  const setButton = h('button', { type: 'button' }, 'Set value');
  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete key');
  const path = () => `/api/v1/cache/${key.value.trim().split('/').map(seg).join('/')}`;
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Cache keys' },
    field('Key', key),
    field('Value (JSON, for Set)', value),
    field('TTL in seconds (for Set, optional)', ttl),
    h('div', { class: 'actions' }, readButton, setButton, deleteButton),
    out,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(readButton, async () => {
      try {
        const entry = await api<Entry>('GET', path());
        replace(
          out,
          h('p', { class: 'muted' }, 'Expires ', when(entry.expires_at)),
          jsonBlock(entry.value, 'Cached value'),
        );
      } catch (err) {
        replace(out, alertBox(err instanceof Error ? err.message : 'Reading failed.'));
      }
    });
  });
  setButton.addEventListener('click', () =>
    act(setButton, async () => {
      const parsed = parseJsonField(value.value, 'Value');
      const body: Record<string, unknown> = { value: parsed ?? null };
      if (ttl.value.trim()) body['ttl'] = Number(ttl.value.trim());
      await api('PUT', path(), { body });
      say('Value set.');
    }),
  );
  deleteButton.addEventListener('click', () =>
    act(deleteButton, async () => {
      await api('DELETE', path());
      replace(out);
      say('Key deleted.');
    }),
  );
  return form;
}

// Subscriptions (the Shopify-compatible Webhook resource: list, create, delete, replay since) and
// deliveries (list with filters, one delivery's attempts with status codes and timings, retry).
import { api, ApiError, seg, SHOPIFY_API_VERSION } from '../api';
import { badge, field, h, replace, table, when } from '../dom';
import { act, heading, say, type ViewContext } from '../view';
import { LIVE_REFRESH_MS } from './events';

interface Subscription {
  id: number;
  address: string;
  topic: string;
  format: string;
  created_at: string;
  /** Present only on subscriptions with a filter (issue 24). */
  filter?: string;
  filtered_delivery_count?: number;
}
interface Delivery {
  id: string;
  subscription_id: number;
  event_id: string;
  address: string;
  topic: string;
  status: string;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  finished_at: string | null;
}
interface Destination {
  host: string;
  consecutive_failures: number;
  last_error: string | null;
  paused_at: string | null;
  next_probe_at: string | null;
}
interface Attempt {
  attempt: number;
  started_at: string;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
}

const RESOURCE = `/admin/api/${SHOPIFY_API_VERSION}/webhooks`;
const GRAPHQL = `/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
const NAMES_QUERY = '{ webhookSubscriptions(first: 250, sortKey: ID) { nodes { legacyResourceId name } } }';

/** Subscription names, which only GraphQL has (as at Shopify); none when that call fails. */
async function subscriptionNames(): Promise<Map<number, string>> {
  try {
    const answer = await api<{
      data?: { webhookSubscriptions?: { nodes: { legacyResourceId: string; name: string | null }[] } };
    }>('POST', GRAPHQL, { shopify: true, body: { query: NAMES_QUERY } });
    const nodes = answer.data?.webhookSubscriptions?.nodes ?? [];
    return new Map(nodes.filter((n) => n.name !== null).map((n) => [Number(n.legacyResourceId), n.name as string]));
  } catch {
    return new Map();
  }
}

/** #/subscriptions */
export async function subscriptionsView(ctx: ViewContext): Promise<void> {
  const list = h('div', {});
  replace(
    ctx.main,
    heading('Subscriptions'),
    h(
      'p',
      { class: 'muted' },
      "This app's subscriptions (Shopify's Webhook resource). Deliveries go to their addresses.",
    ),
    createForm(() => drawSubscriptions(list)),
    list,
  );
  await drawSubscriptions(list);
}

function createForm(refresh: () => Promise<void>): HTMLFormElement {
  const topic = h('input', { required: true, autocomplete: 'off', placeholder: 'user/contact/submit' });
  const address = h('input', {
    required: true,
    type: 'url',
    autocomplete: 'off',
    placeholder: 'https://example.com/hooks',
  });
  const format = h('select', {}, h('option', { value: 'json' }, 'json'), h('option', { value: 'xml' }, 'xml'));
  const filter = h('input', { autocomplete: 'off', placeholder: 'optional, e.g. total_price:>=100' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create subscription');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'New subscription', novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, 'New subscription'),
      h('div', { class: 'row' }, field('Topic', topic), field('Address', address), field('Format', format)),
      h('div', { class: 'row' }, field('Filter', filter)),
      h('div', { class: 'actions' }, submit),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      await api('POST', `${RESOURCE}.json`, {
        shopify: true,
        body: {
          webhook: {
            topic: topic.value.trim(),
            address: address.value.trim(),
            format: format.value,
            filter: filter.value.trim() || null,
          },
        },
      });
      say('Subscription created.');
      topic.value = '';
      address.value = '';
      filter.value = '';
      await refresh();
    });
  });
  return form;
}

async function drawSubscriptions(container: HTMLElement): Promise<void> {
  const [{ webhooks }, names] = await Promise.all([
    api<{ webhooks: Subscription[] }>('GET', `${RESOURCE}.json?limit=250`, { shopify: true }),
    subscriptionNames(),
  ]);
  if (webhooks.length === 0) {
    replace(container, h('p', { class: 'muted' }, 'No subscriptions.'));
    return;
  }
  const rows = webhooks.map((s) => {
    const since = h('input', {
      type: 'datetime-local',
      step: 1,
      'aria-label': `Replay failed deliveries of subscription ${s.id} since`,
    });
    since.value = localInputValue(new Date(Date.now() - 24 * 3600_000));
    const replay = h('button', { type: 'button' }, 'Replay failed since');
    replay.addEventListener('click', () =>
      act(replay, async () => {
        const at = new Date(since.value);
        if (Number.isNaN(at.getTime())) throw new ApiError(0, 'Choose a date and time to replay from.');
        const out = await api<{ replayed: number }>('POST', `/api/v1/subscriptions/${seg(s.id)}/replay`, {
          body: { since: at.toISOString() },
        });
        say(`${out.replayed} failed deliver${out.replayed === 1 ? 'y' : 'ies'} sent again.`);
      }),
    );
    const remove = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete subscription ${s.id}` },
      'Delete',
    );
    remove.addEventListener('click', () =>
      act(remove, async () => {
        if (!confirm(`Delete subscription ${s.id} (${s.address})?`)) return;
        await api('DELETE', `${RESOURCE}/${seg(s.id)}.json`, { shopify: true });
        say('Subscription deleted.');
        await drawSubscriptions(container);
      }),
    );
    return [
      String(s.id),
      names.get(s.id) ?? '—',
      h('code', {}, s.topic),
      h('code', {}, s.address),
      s.format,
      s.filter === undefined
        ? '—'
        : h('span', {}, h('code', {}, s.filter), ` (${s.filtered_delivery_count ?? 0} filtered out)`),
      h('a', { href: `#/deliveries?subscription_id=${seg(s.id)}` }, 'Deliveries'),
      h('div', { class: 'actions' }, since, replay, remove),
    ];
  });
  replace(
    container,
    table(
      'Subscriptions of this app',
      ['Id', 'Name', 'Topic', 'Address', 'Format', 'Filter', 'Deliveries', 'Actions'],
      rows,
    ),
  );
}

/** A Date as the value of a datetime-local input (local time, seconds). */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** #/deliveries (optionally ?subscription_id=N in the hash) */
export async function deliveriesView(ctx: ViewContext): Promise<void> {
  const preset = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const subscription = h('input', { inputmode: 'numeric', autocomplete: 'off', id: 'filter-subscription' });
  subscription.value = preset.get('subscription_id') ?? '';
  const status = h(
    'select',
    { id: 'filter-delivery-status' },
    ['', 'pending', 'succeeded', 'failed'].map((s) => h('option', { value: s }, s === '' ? 'any' : s)),
  );
  const list = h('div', { id: 'delivery-list' });
  const paused = h('div', { id: 'paused-destinations' });
  let shown = '';
  const refresh = async () => {
    const query = new URLSearchParams({ limit: '50' });
    if (subscription.value.trim()) query.set('subscription_id', subscription.value.trim());
    if (status.value) query.set('status', status.value);
    const [{ deliveries }, { destinations }] = await Promise.all([
      api<{ deliveries: Delivery[] }>('GET', `/api/v1/deliveries?${query}`),
      api<{ destinations: Destination[] }>('GET', '/api/v1/destinations?paused=true'),
    ]);
    if (ctx.left()) return;
    drawPaused(paused, destinations);
    const fingerprint = JSON.stringify(deliveries.map((d) => [d.id, d.status, d.attempt_count]));
    if (fingerprint === shown) return;
    shown = fingerprint;
    replace(
      list,
      deliveries.length === 0
        ? h('p', { class: 'muted' }, 'No deliveries match.')
        : table(
            'Deliveries, newest first',
            ['Delivery', 'Topic', 'Address', 'Status', 'Attempts', 'Last status code', 'Created'],
            deliveries.map((d) => [
              h('a', { href: `#/deliveries/${seg(d.id)}` }, d.id.slice(0, 8)),
              h('code', {}, d.topic),
              h('code', {}, d.address),
              badge(d.status),
              String(d.attempt_count),
              d.last_status_code === null ? '—' : String(d.last_status_code),
              when(d.created_at),
            ]),
          ),
    );
  };
  const form = h(
    'form',
    { class: 'stack', role: 'search', 'aria-label': 'Filter deliveries' },
    h('div', { class: 'row' }, field('Subscription id', subscription), field('Status', status)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    shown = '';
    void refresh().catch(() => undefined);
  });
  status.addEventListener('change', () => form.requestSubmit());
  replace(ctx.main, heading('Deliveries'), paused, form, list);
  await ctx.every(LIVE_REFRESH_MS, refresh);
}

/** Destinations whose circuit breaker is open: their deliveries are held until a probe succeeds. */
function drawPaused(container: HTMLElement, destinations: readonly Destination[]): void {
  replace(
    container,
    ...(destinations.length === 0
      ? []
      : [
          table(
            'Paused destinations: deliveries held, not lost, until a probe succeeds',
            ['Host', 'Consecutive failures', 'Last error', 'Paused since', 'Next probe'],
            destinations.map((d) => [
              h('code', {}, d.host),
              String(d.consecutive_failures),
              d.last_error ?? '—',
              when(d.paused_at),
              when(d.next_probe_at),
            ]),
          ),
        ]),
  );
}

/** #/deliveries/{id} */
export async function deliveryView(ctx: ViewContext): Promise<void> {
  const id = ctx.params[0]!.split('?')[0]!;
  const body = h('div', {});
  const retry = h('button', { type: 'button', class: 'primary', id: 'retry-delivery' }, 'Retry now');
  retry.addEventListener('click', () =>
    act(retry, async () => {
      const out = await api<{ attempt: number }>('POST', `/api/v1/deliveries/${seg(id)}/retry`);
      say(`Attempt ${out.attempt} queued.`);
    }),
  );
  replace(
    ctx.main,
    h('p', {}, h('a', { href: '#/deliveries' }, '← Deliveries')),
    heading(`Delivery ${id}`),
    h('div', { class: 'actions' }, retry),
    body,
  );
  let shown = '';
  await ctx.every(LIVE_REFRESH_MS, async () => {
    const { delivery } = await api<{ delivery: Delivery & { attempts: Attempt[] } }>(
      'GET',
      `/api/v1/deliveries/${seg(id)}`,
    );
    if (ctx.left()) return;
    const fingerprint = JSON.stringify(delivery);
    if (fingerprint === shown) return;
    if (shown !== '')
      say(
        `Delivery is ${delivery.status} after ${delivery.attempt_count} attempt${delivery.attempt_count === 1 ? '' : 's'}.`,
      );
    shown = fingerprint;
    replace(
      body,
      h(
        'dl',
        { class: 'meta' },
        h('dt', {}, 'Status'),
        h('dd', { id: 'delivery-status' }, badge(delivery.status)),
        h('dt', {}, 'Event'),
        h('dd', {}, h('a', { href: `#/events/${seg(delivery.event_id)}` }, delivery.event_id)),
        h('dt', {}, 'Subscription'),
        h('dd', {}, String(delivery.subscription_id)),
        h('dt', {}, 'Address'),
        h('dd', {}, h('code', {}, delivery.address)),
        h('dt', {}, 'Topic'),
        h('dd', {}, h('code', {}, delivery.topic)),
        h('dt', {}, 'Next attempt'),
        h('dd', {}, when(delivery.next_attempt_at)),
        h('dt', {}, 'Last error'),
        h('dd', {}, delivery.last_error ?? '—'),
      ),
      h('h2', {}, 'Attempts'),
      delivery.attempts.length === 0
        ? h('p', { class: 'muted' }, 'No attempts yet.')
        : table(
            'Attempts',
            ['#', 'Started', 'Status code', 'Duration', 'Error'],
            delivery.attempts.map((a) => [
              String(a.attempt),
              when(a.started_at),
              a.status_code === null ? '—' : String(a.status_code),
              a.duration_ms === null ? '—' : `${a.duration_ms} ms`,
              a.error ?? '—',
            ]),
          ),
    );
  });
}

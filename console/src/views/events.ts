// Events: a list that refreshes while you watch (filters: topic, status, request id) and one
// event's page: its data, task runs (logs, errors, action runs with results), child events and
// deliveries. New rows are drawn only when something changed, so keyboard focus is not lost.
import { api, seg } from '../api';
import { badge, field, h, jsonBlock, replace, table, when, type Child } from '../dom';
import { heading, say, type ViewContext } from '../view';

/** How often the list and the event page ask for news while shown. */
export const LIVE_REFRESH_MS = 2_000;
const EVENT_STATUSES = ['', 'pending', 'queued', 'received', 'processed', 'dead'];

interface EventSummary {
  id: string;
  topic: string;
  status: string;
  source: string;
  webhook_request_id: string | null;
  parent_id: string | null;
  error: string | null;
  created_at: string;
  processed_at: string | null;
  data?: unknown;
}
interface ActionRun {
  id: string;
  position: number;
  type: string;
  options: unknown;
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
}
interface TaskRun {
  id: string;
  task_id: string;
  status: string;
  attempts: number;
  logs: unknown[];
  errors: unknown[];
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  action_runs: ActionRun[];
}
interface DeliverySummary {
  id: string;
  subscription_id: number;
  address: string;
  status: string;
  attempt_count: number;
  last_status_code: number | null;
  created_at: string;
}

/** #/events */
export async function eventsView(ctx: ViewContext): Promise<void> {
  const topic = h('input', { autocomplete: 'off', id: 'filter-topic', placeholder: 'user/contact/submit' });
  const status = h(
    'select',
    { id: 'filter-status' },
    EVENT_STATUSES.map((s) => h('option', { value: s }, s === '' ? 'any' : s)),
  );
  const requestId = h('input', { autocomplete: 'off', id: 'filter-request' });
  const list = h('div', { id: 'event-list' });
  const live = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Updates every 2 seconds.');
  let shown = '';
  let firstIds: Set<string> | null = null;

  const refresh = async () => {
    const query = new URLSearchParams({ limit: '50' });
    if (topic.value.trim()) query.set('topic', topic.value.trim());
    if (status.value) query.set('status', status.value);
    if (requestId.value.trim()) query.set('webhook_request_id', requestId.value.trim());
    const { events } = await api<{ events: EventSummary[] }>('GET', `/api/v1/events?${query}`);
    if (ctx.left()) return;
    const fingerprint = JSON.stringify(events.map((e) => [e.id, e.status]));
    if (fingerprint === shown) return;
    shown = fingerprint;
    const fresh = firstIds ? events.filter((e) => !firstIds!.has(e.id)).length : 0;
    firstIds = new Set(events.map((e) => e.id));
    if (fresh > 0) replace(live, `${fresh} new event${fresh === 1 ? '' : 's'}.`);
    replace(
      list,
      events.length === 0 ? h('p', { class: 'muted' }, 'No events match.') : eventTable('Events, newest first', events),
    );
  };
  const form = h(
    'form',
    { class: 'stack', role: 'search', 'aria-label': 'Filter events' },
    h('div', { class: 'row' }, field('Topic', topic), field('Status', status), field('Request id', requestId)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    shown = '';
    firstIds = null;
    void refresh();
  });
  status.addEventListener('change', () => form.requestSubmit());
  replace(ctx.main, heading('Events'), form, live, list);
  await ctx.every(LIVE_REFRESH_MS, refresh);
}

function eventTable(caption: string, events: readonly EventSummary[]): HTMLElement {
  return table(
    caption,
    ['Event', 'Topic', 'Status', 'Source', 'Created'],
    events.map((e) => [
      h('a', { href: `#/events/${seg(e.id)}` }, e.id.slice(0, 8)),
      h('code', {}, e.topic),
      badge(e.status),
      e.source,
      when(e.created_at),
    ]),
  );
}

/** #/events/{id} */
export async function eventView(ctx: ViewContext): Promise<void> {
  const id = ctx.params[0]!;
  const [{ event }, { tasks }] = await Promise.all([
    api<{ event: EventSummary }>('GET', `/api/v1/events/${seg(id)}`),
    api<{ tasks: { id: string; name: string }[] }>('GET', '/api/v1/tasks?limit=250'),
  ]);
  const taskNames = new Map(tasks.map((t) => [t.id, t.name]));
  const meta = h('dl', { class: 'meta' });
  const runs = h('div', { id: 'task-runs' });
  const children = h('div', { id: 'child-events' });
  const deliveries = h('div', { id: 'event-deliveries' });
  replace(
    ctx.main,
    h('p', {}, h('a', { href: '#/events' }, '← Events')),
    heading(`Event ${event.id}`),
    meta,
    h('h2', {}, 'Data'),
    jsonBlock(event.data, 'Event data'),
    h('h2', {}, 'Task runs'),
    runs,
    h('h2', {}, 'Child events'),
    children,
    h('h2', {}, 'Deliveries'),
    deliveries,
  );
  let shown = '';
  await ctx.every(LIVE_REFRESH_MS, async () => {
    const [current, taskRuns, sent] = await Promise.all([
      api<{ event: EventSummary }>('GET', `/api/v1/events/${seg(id)}`),
      api<{ task_runs: TaskRun[] }>('GET', `/api/v1/events/${seg(id)}/task_runs`),
      api<{ deliveries: DeliverySummary[] }>('GET', `/api/v1/deliveries?event_id=${seg(id)}&limit=250`),
    ]);
    if (ctx.left()) return;
    const fingerprint = JSON.stringify([current.event.status, taskRuns, sent]);
    if (fingerprint === shown) return;
    if (shown !== '') say('This event changed.');
    shown = fingerprint;
    drawMeta(meta, current.event);
    replace(
      runs,
      taskRuns.task_runs.length === 0
        ? h('p', { class: 'muted' }, 'No task runs (yet).')
        : taskRuns.task_runs.map((run) => taskRunCard(run, taskNames.get(run.task_id))),
    );
    drawChildren(children, taskRuns.task_runs);
    replace(
      deliveries,
      sent.deliveries.length === 0
        ? h('p', { class: 'muted' }, 'No deliveries.')
        : table(
            'Deliveries of this event',
            ['Delivery', 'Subscription', 'Address', 'Status', 'Attempts', 'Last status code'],
            sent.deliveries.map((d) => [
              h('a', { href: `#/deliveries/${seg(d.id)}` }, d.id.slice(0, 8)),
              String(d.subscription_id),
              h('code', {}, d.address),
              badge(d.status),
              String(d.attempt_count),
              d.last_status_code === null ? '—' : String(d.last_status_code),
            ]),
          ),
    );
  });
}

function drawMeta(meta: HTMLElement, e: EventSummary): void {
  const pairs: [string, Child][] = [
    ['Topic', h('code', {}, e.topic)],
    ['Status', badge(e.status)],
    ['Source', e.source],
    ['Request id', e.webhook_request_id ?? '—'],
    ['Parent', e.parent_id ? h('a', { href: `#/events/${seg(e.parent_id)}` }, e.parent_id) : '—'],
    ['Created', when(e.created_at)],
    ['Processed', when(e.processed_at)],
  ];
  if (e.error) pairs.push(['Error', h('span', { class: 'error' }, e.error)]);
  replace(
    meta,
    pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

/** One task run; the task's name when it still exists (a deleted task's runs keep its id). */
function taskRunCard(run: TaskRun, taskName: string | undefined): HTMLElement {
  return h(
    'section',
    { class: 'card task-run', 'aria-label': `Task run ${run.id}` },
    h(
      'h3',
      {},
      'Task ',
      h('a', { href: `#/tasks/${seg(run.task_id)}` }, taskName ?? run.task_id.slice(0, 8)),
      ' ',
      badge(run.status),
    ),
    h(
      'p',
      { class: 'muted' },
      `Attempts: ${run.attempts}. Started `,
      when(run.started_at),
      ', finished ',
      when(run.finished_at),
      '.',
    ),
    run.error ? h('p', { class: 'error' }, 'Error: ', run.error) : null,
    h('h4', {}, `Logs (${run.logs.length})`),
    h(
      'ul',
      { class: 'logs' },
      run.logs.map((l) => h('li', {}, h('pre', {}, typeof l === 'string' ? l : JSON.stringify(l)))),
    ),
    run.errors.length > 0
      ? [
          h('h4', {}, `Errors (${run.errors.length})`),
          h(
            'ul',
            {},
            run.errors.map((e) =>
              h('li', { class: 'error' }, h('pre', {}, typeof e === 'string' ? e : JSON.stringify(e))),
            ),
          ),
        ]
      : null,
    run.action_runs.length === 0
      ? h('p', { class: 'muted' }, 'No actions.')
      : table(
          'Action runs',
          ['#', 'Type', 'Status', 'Attempts', 'Options', 'Result or error'],
          run.action_runs.map((a) => [
            String(a.position),
            a.type,
            badge(a.status),
            String(a.attempts),
            jsonBlock(a.options, 'Action options'),
            a.error ? h('pre', { class: 'error' }, a.error) : jsonBlock(a.result, 'Action result'),
          ]),
        ),
  );
}

/** Child events are what this event's `event` actions created: their result is the child's id. */
function drawChildren(container: HTMLElement, runs: readonly TaskRun[]): void {
  const ids = runs
    .flatMap((r) => r.action_runs)
    .filter((a) => a.type === 'event' && a.status === 'succeeded' && typeof a.result === 'string')
    .map((a) => a.result as string);
  replace(
    container,
    ids.length === 0
      ? h('p', { class: 'muted' }, 'None.')
      : h(
          'ul',
          {},
          ids.map((c) => h('li', {}, h('a', { href: `#/events/${seg(c)}` }, c))),
        ),
  );
}

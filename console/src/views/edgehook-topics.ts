// The topics of events edgehook makes for tasks, for the task editor: the hint under
// Subscriptions, the preview's topic suggestions and each topic's sample event data (the shape
// docs/api.md describes). No DOM here, so a test checks it against the Worker's own topics.

const PERIODS = ['10min', '15min', '20min', '30min', 'hourly', 'daily'] as const;
const SCHEDULER = 'edgehook/scheduler/';

export const EDGEHOOK_TOPICS: readonly string[] = [
  ...PERIODS.map((p) => `${SCHEDULER}${p}`),
  'edgehook/actions/perform',
  'edgehook/errors/task',
  'edgehook/errors/action',
  'edgehook/errors/event',
];

const SAMPLE_IDS = {
  task_run_id: '0190a1b2-0000-7000-8000-000000000001',
  task_id: '6f1c1d3e-0000-4000-8000-000000000002',
  task_name: 'Quote',
  event_id: '0190a1b2-0000-7000-8000-000000000003',
  event_topic: 'user/quote/request',
};

const sampleAction = (failed: boolean) => ({
  action: {
    id: '0190a1b2-0000-7000-8000-000000000004',
    type: 'http',
    options: { method: 'POST', url: 'https://hooks.example.com/quote', body: { total: 36 } },
    meta: null,
    status: failed ? 'failed' : 'succeeded',
    attempts: failed ? 5 : 1,
    result: failed ? null : { status: 200, headers: {}, body: 'ok' },
    error: failed ? 'http 503 from hooks.example.com' : null,
    started_at: '2026-12-04T10:15:00.000Z',
    finished_at: '2026-12-04T10:15:00.250Z',
  },
  ...SAMPLE_IDS,
});

/** Sample event data for an edgehook topic, or null for any other topic. */
export function sampleData(topic: string): Record<string, unknown> | null {
  if (topic === 'edgehook/actions/perform') return sampleAction(false);
  if (topic === 'edgehook/errors/action') return sampleAction(true);
  if (topic === 'edgehook/errors/task') {
    return {
      task_run: {
        id: SAMPLE_IDS.task_run_id,
        status: 'failed',
        error: '1 of 2 actions failed.',
        errors: [],
        logs: [],
        attempts: 1,
        run_at: '2026-12-04T10:15:00.000Z',
        started_at: '2026-12-04T10:15:00.000Z',
        finished_at: '2026-12-04T10:15:00.250Z',
      },
      ...SAMPLE_IDS,
    };
  }
  if (topic === 'edgehook/errors/event') {
    return {
      event: {
        id: SAMPLE_IDS.event_id,
        topic: SAMPLE_IDS.event_topic,
        source: 'webhook',
        status: 'dead',
        error: "gave up after the events queue's retries",
        created_at: '2026-12-04T10:15:00.000Z',
        webhook_id: null,
        webhook_request_id: null,
      },
      event_id: SAMPLE_IDS.event_id,
      event_topic: SAMPLE_IDS.event_topic,
    };
  }
  const period = topic.startsWith(SCHEDULER) ? topic.slice(SCHEDULER.length) : null;
  if (period === null || !(PERIODS as readonly string[]).includes(period)) return null;
  const now = new Date();
  if (period === 'daily') {
    const date = now.toISOString().slice(0, 10);
    return { period, date, scheduled_at: `${date}T00:00:00.000Z`, timezone: 'UTC' };
  }
  const minutes = period === 'hourly' ? 60 : Number.parseInt(period, 10);
  const start = Math.floor(now.getTime() / (minutes * 60_000)) * minutes * 60_000;
  return { period, scheduled_at: new Date(start).toISOString(), timezone: 'UTC' };
}

// The topics of events edgehook makes for tasks, for the task editor: the hint under
// Subscriptions, the preview's topic suggestions and each topic's sample event data (the shape
// docs/api.md describes). No DOM here, so a test checks it against the Worker's own topics.

const PERIODS = ['10min', '15min', '20min', '30min', 'hourly', 'daily'] as const;

export const EDGEHOOK_TOPICS: readonly string[] = PERIODS.map((p) => `edgehook/scheduler/${p}`);

/** Sample event data for an edgehook topic, or null for any other topic. */
export function sampleData(topic: string): Record<string, unknown> | null {
  const period = topic.startsWith('edgehook/scheduler/') ? topic.slice('edgehook/scheduler/'.length) : null;
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

import { describe, expect, it } from 'vitest';
import { EDGEHOOK_TOPICS, sampleData } from '../../console/src/views/edgehook-topics';
import { periodAt, schedulerPeriodOf } from '../../src/tasks/scheduler-periods';
import { EDGEHOOK_TOPICS as ACCEPTED } from '../../src/tasks/task-subscriptions';

// The console's task editor lists the edgehook topics tasks may subscribe to and previews them
// with sample data shaped like the events the scheduler emits.

describe("console task editor's edgehook topics", () => {
  it('lists exactly the edgehook topics the tasks API accepts', () => {
    expect([...EDGEHOOK_TOPICS].sort()).toEqual([...ACCEPTED].sort());
  });

  it('gives each a sample event data with the fields of the real event', () => {
    // The follow-up topics' fields, as test/integration/follow-ups.test.ts sees them on real events.
    const ids = ['task_run_id', 'task_id', 'task_name', 'event_id', 'event_topic'];
    const followUps: Record<string, string[]> = {
      'edgehook/actions/perform': ['action', ...ids],
      'edgehook/errors/action': ['action', ...ids],
      'edgehook/errors/task': ['task_run', ...ids],
      'edgehook/errors/event': ['event', 'event_id', 'event_topic'],
    };
    for (const [topic, keys] of Object.entries(followUps)) {
      expect(Object.keys(sampleData(topic)!).sort(), topic).toEqual([...keys].sort());
    }
    for (const topic of EDGEHOOK_TOPICS.filter((t) => !(t in followUps))) {
      const period = schedulerPeriodOf(topic)!;
      const data = sampleData(topic)!;
      const keys = ['period', 'scheduled_at', 'timezone', ...(period === 'daily' ? ['date'] : [])];
      expect(Object.keys(data).sort()).toEqual(keys.sort());
      expect(data['period']).toBe(period);
      if (period !== 'daily') {
        const start = Date.parse(data['scheduled_at'] as string);
        expect(periodAt(period, start, 'UTC').startMs).toBe(start);
      }
    }
    expect(sampleData('user/form/submit')).toBeNull();
  });
});

import { MAX_TASK_DELAY_SECONDS } from '../env';
import { EVENT_TOPIC_PATTERN } from '../topics';
import { FOLLOW_UP_TOPICS } from './follow-ups-store';
import { SCHEDULER_TOPICS } from './scheduler-periods';

/** One parsed subscription line: a topic and how long after the event the run is due. */
export interface Subscription {
  topic: string;
  delaySeconds: number;
}

/** Topics of the events edgehook itself makes for tasks: exactly these, nothing else under `edgehook/`. */
export const EDGEHOOK_TOPICS: readonly string[] = [...SCHEDULER_TOPICS, ...FOLLOW_UP_TOPICS];
const DELAY = /^\+(\d{1,9})\.(second|minute|hour|day|week)s?$/;
const UNIT_SECONDS = { second: 1, minute: 60, hour: 3_600, day: 86_400, week: 604_800 } as const;

/**
 * Parses a task's subscriptions: one topic per line, blank lines ignored, an optional delay suffix
 * `+N.unit` (seconds … weeks, singular or plural). Returns the subscriptions, or the problems, each
 * naming its line.
 */
export function parseSubscriptions(
  text: string,
): { ok: true; subscriptions: Subscription[] } | { ok: false; problems: string[] } {
  const subscriptions: Subscription[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${index + 1}`;
    const [topic = '', delay, ...extra] = line.split(/\s*(?=\+)/);
    if (extra.length > 0) return void problems.push(`${where}: only one +N.unit delay is allowed`);
    if (topic.startsWith('edgehook/') && !EDGEHOOK_TOPICS.includes(topic)) {
      return void problems.push(
        `${where}: "${topic}" is not an edgehook topic; they are ${EDGEHOOK_TOPICS.join(', ')}`,
      );
    }
    if (!EVENT_TOPIC_PATTERN.test(topic) && !EDGEHOOK_TOPICS.includes(topic)) {
      return void problems.push(`${where}: "${topic}" is not a topic like user/<subject>/<verb>`);
    }
    let delaySeconds = 0;
    if (delay !== undefined) {
      const match = DELAY.exec(delay);
      if (!match) {
        return void problems.push(`${where}: "${delay}" is not a delay like +5.minutes`);
      }
      delaySeconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
      if (delaySeconds > MAX_TASK_DELAY_SECONDS) {
        return void problems.push(`${where}: delay exceeds ${MAX_TASK_DELAY_SECONDS} seconds`);
      }
    }
    if (subscriptions.some((s) => s.topic === topic && s.delaySeconds === delaySeconds)) return;
    subscriptions.push({ topic, delaySeconds });
  });
  if (subscriptions.length === 0 && problems.length === 0) problems.push('at least one topic is required');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, subscriptions };
}

import { CONFIG_MEMO_TTL_MS, CONFIG_NEGATIVE_KV_TTL_SECONDS, CONFIG_NEGATIVE_MEMO_TTL_MS } from '../env';
import { describeError, log } from '../log';
import type { TtlMemo } from '../memo';
import { readConfigCopy, writeConfigCopy } from './store';

/**
 * Config read on hot paths (webhooks, CORS policies, cache endpoints): the isolate memo, then KV
 * (the edge copy), then D1 once on a KV miss — KV takes up to a minute to show a new key at other
 * locations — repairing KV in the background. Answers are memoised for CONFIG_MEMO_TTL_MS,
 * "none" for CONFIG_NEGATIVE_MEMO_TTL_MS. An id D1 does not know is also remembered in KV as
 * absent for CONFIG_NEGATIVE_KV_TTL_SECONDS (the id's creation writes its real copy over it), and
 * `mayReadD1` can refuse the D1 read altogether (a client past its miss budget): the id is then
 * answered as unknown. Throws only when D1 fails too.
 */

/** The KV copy of an id D1 does not know. No config value has this shape. */
const ABSENT = { absent: true } as const;
export async function readThrough<T>(source: {
  env: Env;
  ctx: ExecutionContext;
  memo: TtlMemo<T | null>;
  id: string;
  kvKey: string;
  isValid: (value: unknown) => value is T;
  /** The D1 answer (null: no such thing). */
  load: () => Promise<T | null>;
  /** Asked before the D1 read of an id neither memo nor KV knows; false answers "unknown". */
  mayReadD1?: () => Promise<boolean>;
}): Promise<T | null> {
  const memoised = source.memo.get(source.id);
  if (memoised !== undefined) return memoised.value;
  const copy = await readKv(source.env, source.kvKey, source.isValid);
  let value: T | null = copy === 'absent' ? null : copy;
  if (copy === null && (source.mayReadD1 === undefined || (await source.mayReadD1()))) {
    value = await source.load();
    source.ctx.waitUntil(
      value !== null
        ? writeKv(source.env, source.kvKey, value)
        : writeKv(source.env, source.kvKey, ABSENT, CONFIG_NEGATIVE_KV_TTL_SECONDS),
    );
  }
  source.memo.set(source.id, value, value !== null ? CONFIG_MEMO_TTL_MS : CONFIG_NEGATIVE_MEMO_TTL_MS);
  return value;
}

/**
 * A KV value; `absent` when KV remembers that D1 has none; null when missing, malformed or KV
 * failed (the caller then asks D1).
 */
async function readKv<T>(env: Env, key: string, isValid: (v: unknown) => v is T): Promise<T | 'absent' | null> {
  try {
    const value = await readConfigCopy(env, key);
    if (isValid(value)) return value;
    return typeof value === 'object' && value !== null && (value as { absent?: unknown }).absent === true
      ? 'absent'
      : null;
  } catch (err) {
    log.warn('kv read failed; falling back to D1', { key, ...describeError(err) });
    return null;
  }
}

async function writeKv(env: Env, key: string, value: unknown, ttlSeconds?: number): Promise<void> {
  try {
    await writeConfigCopy(env, key, value, ttlSeconds);
  } catch (err) {
    log.warn('kv repair failed', { key, ...describeError(err) });
  }
}

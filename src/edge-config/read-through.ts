import { CONFIG_MEMO_TTL_MS, CONFIG_NEGATIVE_MEMO_TTL_MS } from '../env';
import { describeError, log } from '../log';
import type { TtlMemo } from '../memo';
import { readConfigCopy, writeConfigCopy } from './store';

/**
 * Config read on hot paths (webhooks, CORS policies, cache endpoints): the isolate memo, then KV
 * (the edge copy), then D1 once on a KV miss — KV takes up to a minute to show a new key at other
 * locations — repairing KV in the background. Answers are memoised for CONFIG_MEMO_TTL_MS,
 * "none" for CONFIG_NEGATIVE_MEMO_TTL_MS. Throws only when D1 fails too.
 */
export async function readThrough<T>(source: {
  env: Env;
  ctx: ExecutionContext;
  memo: TtlMemo<T | null>;
  id: string;
  kvKey: string;
  isValid: (value: unknown) => value is T;
  /** The D1 answer (null: no such thing). */
  load: () => Promise<T | null>;
}): Promise<T | null> {
  const memoised = source.memo.get(source.id);
  if (memoised !== undefined) return memoised.value;
  let value = await readKv(source.env, source.kvKey, source.isValid);
  if (value === null) {
    value = await source.load();
    if (value !== null) source.ctx.waitUntil(writeKv(source.env, source.kvKey, value));
  }
  source.memo.set(source.id, value, value !== null ? CONFIG_MEMO_TTL_MS : CONFIG_NEGATIVE_MEMO_TTL_MS);
  return value;
}

/** A KV value, or null when missing, malformed or KV failed (the caller then asks D1). */
async function readKv<T>(env: Env, key: string, isValid: (v: unknown) => v is T): Promise<T | null> {
  try {
    const value = await readConfigCopy(env, key);
    return isValid(value) ? value : null;
  } catch (err) {
    log.warn('kv read failed; falling back to D1', { key, ...describeError(err) });
    return null;
  }
}

async function writeKv(env: Env, key: string, value: unknown): Promise<void> {
  try {
    await writeConfigCopy(env, key, value);
  } catch (err) {
    log.warn('kv repair failed', { key, ...describeError(err) });
  }
}

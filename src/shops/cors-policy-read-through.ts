import { primaryDb } from '../shards';
import { readThrough } from '../edge-config/read-through';
import { CONFIG_MEMO_TTL_MS } from '../env';
import type { CorsPolicy } from '../http/cors';
import { corsKvKey } from '../kv-keys';
import { TtlMemo } from '../memo';
import { loadCorsPolicy } from './cors-policy';

/**
 * A shop's CORS policy as the hot paths read it, through `readThrough` (memo → KV → D1).
 * Staleness: a change reaches every isolate within KV propagation plus CONFIG_MEMO_TTL_MS.
 */

const corsMemo = new TtlMemo<CorsPolicy | null>();

/** The shop's effective CORS policy (no origins at all for an unknown shop). */
export async function findCorsPolicy(env: Env, ctx: ExecutionContext, shopId: string): Promise<CorsPolicy> {
  const policy = await readThrough({
    env,
    ctx,
    memo: corsMemo,
    id: shopId,
    kvKey: corsKvKey(shopId),
    isValid: isCorsPolicy,
    load: async () => (await loadCorsPolicy(primaryDb(env), shopId)) ?? NO_ORIGINS,
  });
  return policy ?? NO_ORIGINS;
}

const NO_ORIGINS: CorsPolicy = { allowAll: false, origins: [] };

/** Records a change made in this isolate, so it takes effect here at once. */
export function rememberCorsPolicy(shopId: string, policy: CorsPolicy): void {
  corsMemo.set(shopId, policy, CONFIG_MEMO_TTL_MS);
}

/** Forgets the policies memoised in this isolate. */
export function clearCorsPolicyMemo(): void {
  corsMemo.clear();
}

function isCorsPolicy(value: unknown): value is CorsPolicy {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['allowAll'] === 'boolean' &&
    Array.isArray(v['origins']) &&
    v['origins'].every((o) => typeof o === 'string')
  );
}

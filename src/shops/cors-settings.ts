import { primaryDb } from '../shards';
import { writeConfigCopy } from '../edge-config/store';
import * as v from 'valibot';
import { findShop, updateShop, type ShopRecord } from './store';
import { normalizeOrigin, type CorsPolicy } from '../http/cors';
import { notFound, validationFailed } from '../http/errors';
import { corsKvKey } from '../kv-keys';
import { nowIso } from '../time';
import { rememberCorsPolicy } from './cors-policy-read-through';
import { effectiveCorsPolicy, loadCorsPolicy } from './cors-policy';
import { listCorsOrigins, replaceCorsOrigins } from './cors-store';

/** Most additional origins a shop may list. */
export const MAX_CORS_ORIGINS = 100;

export const corsSettingsSchema = v.strictObject({
  allow_all: v.optional(v.boolean('must be true or false')),
  origins: v.optional(
    v.pipe(
      v.array(v.string('must be strings'), 'must be a list of origins'),
      v.maxLength(MAX_CORS_ORIGINS, `may list at most ${MAX_CORS_ORIGINS} origins`),
    ),
  ),
});

/** Writes the shop's policy (as D1 now has it) to KV and this isolate's memo; after every change. */
export async function publishCorsPolicy(env: Env, shopId: string): Promise<CorsPolicy | null> {
  const policy = await loadCorsPolicy(primaryDb(env), shopId);
  if (policy === null) return null;
  await writeConfigCopy(env, corsKvKey(shopId), policy);
  rememberCorsPolicy(shopId, policy);
  return policy;
}

/** A shop's CORS settings and the policy they produce, as the management API shows them. */
export async function readCorsSettings(env: Env, shopId: string) {
  const [shop, origins] = await Promise.all([shopOrNotFound(env, shopId), listCorsOrigins(primaryDb(env), shopId)]);
  const policy = effectiveCorsPolicy(shop, origins);
  return {
    allow_all: shop.corsAllowAll,
    origins,
    effective: { allow_all: policy.allowAll, origins: policy.origins },
  };
}

/** Changes the allow-all flag and/or replaces the additional origins, then republishes. */
export async function changeCorsSettings(env: Env, shopId: string, input: v.InferOutput<typeof corsSettingsSchema>) {
  const shop = await shopOrNotFound(env, shopId);
  const now = nowIso();
  if (input.origins !== undefined) {
    await replaceCorsOrigins(primaryDb(env), shopId, normalizeOrigins(input.origins), now);
  }
  if (input.allow_all !== undefined) {
    await updateShop(primaryDb(env), { ...shop, corsAllowAll: input.allow_all, updatedAt: now });
  }
  await publishCorsPolicy(env, shopId);
  return readCorsSettings(env, shopId);
}

async function shopOrNotFound(env: Env, shopId: string): Promise<ShopRecord> {
  const shop = await findShop(primaryDb(env), shopId);
  if (shop === null) throw notFound('Shop');
  return shop;
}

/** Normalizes each origin; any that is not scheme://host[:port] (or `*` alone) → 422. */
function normalizeOrigins(origins: readonly string[]): string[] {
  const errors: string[] = [];
  const out = new Set<string>();
  for (const entry of origins) {
    const origin = normalizeOrigin(entry.trim());
    if (origin === null) errors.push(`${JSON.stringify(entry)} is not an origin (scheme://host[:port])`);
    else out.add(origin);
  }
  if (out.has('*') && out.size > 1) errors.push('"*" must be the only entry when present');
  if (errors.length > 0) throw validationFailed({ origins: errors });
  return [...out];
}

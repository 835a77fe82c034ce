import { idempotencyKvKey } from '../kv-keys';

/**
 * KV record of an `Idempotency-Key`'s first request: the claim id (webhook and key, derived under
 * SECRETS_KEY) maps to the event id that request made.
 */

/** The event id the key was first used for, or null. Throws when KV fails. */
export async function findIdempotencyClaim(env: Env, claimId: string): Promise<string | null> {
  return env.KV.get(idempotencyKvKey(claimId));
}

/** Remembers the key's first request for `ttlSeconds`. */
export async function recordIdempotencyClaim(
  env: Env,
  claimId: string,
  eventId: string,
  ttlSeconds: number,
): Promise<void> {
  await env.KV.put(idempotencyKvKey(claimId), eventId, { expirationTtl: ttlSeconds });
}

import { primaryDb } from '../shards';
import { encryptSecret } from '../crypto';
import { newSigningSecret } from './signing-secrets';
import { conflict, notFound } from '../http/errors';
import { nowIso } from '../time';
import { insertSigningSecret, retireSigningSecret, type SigningSecretRecord } from './store';

/**
 * Signing-secret rotation: add a new secret (shown once), deliver with every active one (the
 * newest keys the Shopify HMAC, all of them sign Standard Webhooks), then retire the old one.
 */

export async function addSigningSecret(
  env: Env,
  appId: string,
): Promise<{ record: SigningSecretRecord; secret: string }> {
  const secret = newSigningSecret();
  const record: SigningSecretRecord = { id: crypto.randomUUID(), appId, createdAt: nowIso(), retiredAt: null };
  await insertSigningSecret(
    primaryDb(env),
    appId,
    record.id,
    await encryptSecret(env.SECRETS_KEY, secret),
    record.createdAt,
  );
  return { record, secret };
}

export async function retireAppSigningSecret(env: Env, appId: string, id: string): Promise<void> {
  const result = await retireSigningSecret(primaryDb(env), appId, id, nowIso());
  if (result === 'not_found') throw notFound('Active signing secret');
  if (result === 'last') throw conflict('This is the app’s only active signing secret; add a new one first.');
}

export const signingSecretToApi = (s: SigningSecretRecord) => ({
  id: s.id,
  created_at: s.createdAt,
  retired_at: s.retiredAt,
  active: s.retiredAt === null,
});

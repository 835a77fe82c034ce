import { primaryDb } from '../shards';
import { decryptSecret } from '../crypto';
import { findActiveSigningSecrets } from '../shops/store';

/** Active signing secrets per app, newest first, decrypted. */
export async function signingSecretsOf(env: Env, appIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await findActiveSigningSecrets(primaryDb(env), [...new Set(appIds)]);
  const out = new Map<string, string[]>();
  for (const row of rows) {
    const secret = await decryptSecret(env.SECRETS_KEY, row.ciphertext);
    out.set(row.appId, [...(out.get(row.appId) ?? []), secret]);
  }
  return out;
}

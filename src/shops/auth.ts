import { primaryDb } from '../shards';
import { timingSafeEqualStrings } from '../crypto';
import { forbidden, unauthorized } from '../http/errors';
import { findAppByTokenHash, type AppRecord } from './store';
import { hashAccessToken } from './tokens';

/** Who a management API request speaks for: the operator (ADMIN_TOKEN) or one app of one shop. */
export type Principal = { kind: 'operator' } | { kind: 'app'; app: AppRecord };

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1]! : null;
}

async function isOperatorToken(env: Env, token: string): Promise<boolean> {
  const expected = env.ADMIN_TOKEN;
  return typeof expected === 'string' && expected !== '' && timingSafeEqualStrings(token, expected);
}

/** The app an access token belongs to, or null. */
export async function findAppByToken(env: Env, token: string): Promise<AppRecord | null> {
  return findAppByTokenHash(primaryDb(env), await hashAccessToken(token));
}

/** The principal a bearer token names, or null for a missing or unknown token. */
export async function resolvePrincipal(env: Env, token: string | null): Promise<Principal | null> {
  if (token === null) return null;
  if (await isOperatorToken(env, token)) return { kind: 'operator' };
  const app = await findAppByToken(env, token);
  return app ? { kind: 'app', app } : null;
}

/** Operator routes: no principal → 401; an app → 403. */
export function requireOperator(principal: Principal | null): void {
  if (principal === null) throw unauthorized();
  if (principal.kind !== 'operator') throw forbidden('This route needs the operator token.');
}

/** App routes: no principal → 401; the operator → 403. */
export function requireApp(principal: Principal | null): AppRecord {
  if (principal === null) throw unauthorized();
  if (principal.kind !== 'app') throw forbidden('This route needs an app access token.');
  return principal.app;
}

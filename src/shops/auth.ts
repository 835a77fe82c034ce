import { timingSafeEqualStrings } from '../crypto';
import { forbidden, unauthorized } from '../http/errors';
import { findAppByTokenHash, type AppRecord } from './store';
import { hashAccessToken } from './tokens';

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
  return findAppByTokenHash(env.DB, await hashAccessToken(token));
}

/** Requires the operator token (ADMIN_TOKEN): missing or wrong → 401; an app token → 403. */
export async function requireOperator(request: Request, env: Env): Promise<void> {
  const token = bearerToken(request);
  if (token === null) throw unauthorized();
  if (await isOperatorToken(env, token)) return;
  if (await findAppByToken(env, token)) throw forbidden('This route needs the operator token.');
  throw unauthorized();
}

/** Requires an app access token and returns its app: missing or wrong → 401; operator → 403. */
export async function requireApp(request: Request, env: Env): Promise<AppRecord> {
  const token = bearerToken(request);
  if (token === null) throw unauthorized();
  const app = await findAppByToken(env, token);
  if (app) return app;
  if (await isOperatorToken(env, token)) throw forbidden('This route needs an app access token.');
  throw unauthorized();
}

// The signed-in token lives in sessionStorage only: gone when the tab closes, never in a cookie
// (so no request carries it by itself and CSRF has nothing to ride on), never in a URL (views are
// addressed by the hash, which holds ids only) and never logged.

const TOKEN_KEY = 'edgehook.token';
const KIND_KEY = 'edgehook.kind';

/** Who is signed in: an app (its shop's view) or the operator (shops and apps). */
export type SessionKind = 'app' | 'operator';

export interface Session {
  token: string;
  kind: SessionKind;
}

/** The current session, or null when signed out. */
export function currentSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const kind = sessionStorage.getItem(KIND_KEY);
  if (!token || (kind !== 'app' && kind !== 'operator')) return null;
  return { token, kind };
}

/** Keeps the token for this tab. */
export function saveSession(session: Session): void {
  sessionStorage.setItem(TOKEN_KEY, session.token);
  sessionStorage.setItem(KIND_KEY, session.kind);
}

/** Forgets the token. */
export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(KIND_KEY);
}

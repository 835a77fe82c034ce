/** What every action performer gets and returns. */

/** The run an action belongs to. */
export interface ActionContext {
  env: Env;
  shopId: string;
  eventId: string;
  /** Ancestors of the current event (0 for an event no task made). */
  depth: number;
  /** The action's run and position in it, which name the child event an `event` action makes. */
  action?: { runId: string; position: number };
  /**
   * Lookups shared by the actions of one consumer invocation (a shop's Shopify credentials), so a
   * batch reads each once; absent, every action reads its own.
   */
  memo?: Map<string, Promise<unknown>>;
}

/** `load()` once per key and memo; without a memo, every call loads. */
export function memoized<T>(ctx: ActionContext, key: string, load: () => Promise<T>): Promise<T> {
  if (ctx.memo === undefined) return load();
  let value = ctx.memo.get(key) as Promise<T> | undefined;
  if (value === undefined) {
    value = load();
    ctx.memo.set(key, value);
    // A failed lookup is not kept: the next action tries again.
    value.catch(() => ctx.memo?.delete(key));
  }
  return value;
}

export type ActionOutcome =
  | { ok: true; result: unknown }
  /**
   * `transient`: worth retrying later (network, 5xx, storage briefly down). `retryAfterSeconds`:
   * the upstream said when (a throttled `shopify` action), instead of the usual backoff.
   * `result`: what the upstream answered, kept on the action run even though it failed.
   */
  | { ok: false; error: string; transient: boolean; retryAfterSeconds?: number; result?: unknown };

export const succeeded = (result: unknown): ActionOutcome => ({ ok: true, result });
export const failed = (error: string): ActionOutcome => ({ ok: false, error, transient: false });
export const failedTransiently = (error: string): ActionOutcome => ({ ok: false, error, transient: true });

/** Options that are a plain JSON object, or null. */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

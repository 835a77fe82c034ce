import { describeError, log } from '../log';

/**
 * How many lookups one client may send to D1 for ids that KV does not know (unknown webhook ids,
 * endpoint tokens, missing cache keys): LOOKUP_MISS_RATE_LIMITER's limit per period, per client
 * address and kind of lookup. A stranger trying random ids thus costs D1 a handful of reads a
 * minute, however many requests it sends; past the budget an id KV does not know is answered as
 * unknown, which is what it almost surely is. A new id's KV copy is written when it is made, so
 * real clients seldom need D1 at all.
 */
export type LookupKind = 'webhook' | 'cache-endpoint' | 'cache-key';

/** The client a request comes from, as Cloudflare names it; one shared name when absent (local). */
export const clientAddress = (request: Request): string => request.headers.get('cf-connecting-ip') ?? '-';

/** True when this client may still send a lookup of this kind to D1. A broken limiter allows it. */
export async function mayLookUpMiss(env: Env, kind: LookupKind, client: string): Promise<boolean> {
  try {
    return (await env.LOOKUP_MISS_RATE_LIMITER.limit({ key: `${kind}:${client}` })).success;
  } catch (err) {
    log.warn('lookup miss limiter failed; lookup allowed', describeError(err));
    return true;
  }
}

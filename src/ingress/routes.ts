import { inShard } from '../shards';
import { INGRESS_RATE_LIMIT_PERIOD_SECONDS, MAX_BODY_BYTES } from '../env';
import { enqueueEvent, newEventEnvelope } from '../events/producer';
import { readBodyBytes } from '../http/body';
import { methodNotAllowed, tooManyRequests } from '../http/errors';
import { noContent } from '../http/json';
import { describeError, log } from '../log';
import { storefrontId, type StorefrontRequest } from '../shops/storefront-cors';
import { findWebhookConfig, type WebhookConfig } from './config';
import { buildEventData, rawQueryString } from './data';
import {
  IDEMPOTENCY_KEY_TTL_SECONDS,
  idempotencyClaimId,
  idempotencyKeyOf,
  idempotencyKeyReused,
  idempotentIds,
  requestFingerprint,
  type IdempotentIds,
} from './idempotency';
import { findIdempotencyClaim, recordIdempotencyClaim } from './idempotency-store';

/**
 * POST /webhooks/{id}: the hot path (docs/contracts.md, "Requests and answers"). No D1 unless KV lacks the webhook, one
 * rate-limit call alongside the body read, one queue send; 204 only once the event is durable.
 */

export const INGRESS_ALLOW = 'POST, OPTIONS';

/** How the ingress router's CORS stage finds the webhook a path names: enabled ones only. */
export const INGRESS_CORS = {
  allow: INGRESS_ALLOW,
  expose: 'x-request-id',
  refusal: 'This origin is not allowed to post to this webhook.',
  param: 'id',
  find: async (env: Env, ctx: ExecutionContext, id: string, client: string): Promise<WebhookConfig | null> => {
    const config = await findWebhookConfig(env, ctx, id, client);
    return config?.enabled ? config : null;
  },
};

export type IngressRequest = StorefrontRequest<WebhookConfig> & { requestId?: string };

/** The first ingress stage: every answer, errors included, carries the request's id. */
export function assignRequestId(request: IngressRequest): undefined {
  const requestId = crypto.randomUUID();
  request.requestId = requestId;
  request.responseHeaders = { ...request.responseHeaders, 'x-request-id': requestId };
  return undefined;
}

export async function receiveWebhookPost(request: IngressRequest, env: Env): Promise<Response> {
  const webhookId = storefrontId(request.params['id']!);
  const webhook = request.resource ?? null;
  const idempotencyKey = idempotencyKeyOf(request.headers);

  const clientIp = request.headers.get('cf-connecting-ip');
  const rateKey = `${webhookId ?? 'invalid'}:${clientIp ?? '-'}`;
  // The key's record is read while the body arrives: it names (webhook, key), not the body.
  const firstUse =
    idempotencyKey === null || webhook === null || webhookId === null
      ? null
      : readIdempotencyClaim(env, webhookId, idempotencyKey);
  const [rate, body] = await Promise.allSettled([
    env.INGRESS_RATE_LIMITER.limit({ key: rateKey }),
    readBodyBytes(request, MAX_BODY_BYTES),
  ]);
  if (rate.status === 'fulfilled' && !rate.value.success) {
    throw tooManyRequests(INGRESS_RATE_LIMIT_PERIOD_SECONDS);
  }
  if (rate.status === 'rejected') {
    // Fail open: a broken limiter must not turn storefront submissions away.
    log.warn('rate limiter failed; request allowed', describeError(rate.reason));
  }
  if (body.status === 'rejected') throw body.reason;
  const queryString = rawQueryString(request.url);
  // Derived for unknown webhooks too, so the answer does not tell them apart.
  const ids =
    idempotencyKey === null
      ? null
      : await idempotentIds(
          env.SECRETS_KEY,
          request.params['id']!.toLowerCase(),
          idempotencyKey,
          await requestFingerprint(queryString ?? '', body.value),
        );
  const requestId = ids?.requestId ?? request.requestId ?? crypto.randomUUID();
  if (ids !== null) request.responseHeaders = { ...request.responseHeaders, 'x-request-id': requestId };
  if (webhook === null || webhookId === null) return noContent();
  const claim = ids === null || firstUse === null ? null : claimIdempotencyKey(env, await firstUse, ids);

  const data = await buildEventData(webhook.mode, {
    body: body.value,
    contentType: request.headers.get('content-type'),
    queryString,
    headers: request.headers,
    clientIp,
    requestId,
    webhookId,
  });
  const event = newEventEnvelope({
    shopId: webhook.shopId,
    topic: webhook.topic,
    data,
    source: 'webhook',
    webhookId,
    webhookRequestId: requestId,
    ...(ids ? { id: ids.eventId } : {}),
  });
  // The shop's shard names its queue group (and the database of the fallback write).
  await Promise.all([enqueueEvent(inShard(env, webhook.shard ?? 0), event), claim?.()]);
  return noContent();
}

/**
 * The key's claim id and the event id its first request made (null: none yet; undefined: KV
 * failed, and the request goes through — its ids are bound to its body, so it can never be given
 * another request's id; only the 409 is lost).
 */
async function readIdempotencyClaim(
  env: Env,
  webhookId: string,
  key: string,
): Promise<{ claimId: string; first: string | null | undefined }> {
  let claimId = '';
  try {
    claimId = await idempotencyClaimId(env.SECRETS_KEY, webhookId, key);
    return { claimId, first: await findIdempotencyClaim(env, claimId) };
  } catch (err) {
    // Never rejects: it may be left unawaited when the request fails first (413, 429).
    log.warn('idempotency record unreadable; request allowed', describeError(err));
    return { claimId, first: undefined };
  }
}

/**
 * Checks the key against the request it was first used for: another body is a 409. Returns the
 * write that remembers this request, when it is the first, to run beside the queue send.
 */
function claimIdempotencyKey(
  env: Env,
  { claimId, first }: { claimId: string; first: string | null | undefined },
  ids: IdempotentIds,
): (() => Promise<void>) | null {
  if (first === undefined || first === ids.eventId) return null;
  if (first !== null) throw idempotencyKeyReused();
  return () =>
    recordIdempotencyClaim(env, claimId, ids.eventId, IDEMPOTENCY_KEY_TTL_SECONDS).catch((err: unknown) =>
      log.warn('idempotency record not written', describeError(err)),
    );
}

export function rejectWebhookMethod(): never {
  throw methodNotAllowed(INGRESS_ALLOW);
}

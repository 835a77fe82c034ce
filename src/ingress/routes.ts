import {
  INGRESS_RATE_LIMIT_PERIOD_SECONDS,
  MAX_BODY_BYTES,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
} from '../env';
import { enqueueEvent, newEventEnvelope } from '../events/producer';
import { readBodyBytes } from '../http/body';
import {
  ALLOW_ALL_POLICY,
  corsHeaders,
  isOriginAllowed,
  preflightResponse,
  type CorsPolicy,
} from '../http/cors';
import {
  AppError,
  methodNotAllowed,
  serviceUnavailable,
  tooManyRequests,
} from '../http/errors';
import { noContent } from '../http/json';
import type { RouteRequest } from '../http/route';
import { describeError, log } from '../log';
import { findCorsPolicy, findWebhookConfig, type WebhookConfig } from './config';
import { buildEventData, rawQueryString } from './data';
import { idempotencyKeyOf, idempotentIds } from './idempotency';

/**
 * POST /webhooks/{id}: the hot path (spec/ingress.md). No D1 unless KV lacks the webhook, one
 * rate-limit call alongside the body read, one queue send; 204 only once the event is durable.
 */

export const INGRESS_ALLOW = 'POST, OPTIONS';
const EXPOSED_HEADERS = 'x-request-id';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The webhook if it exists and is enabled; unknown, disabled and malformed ids all read as null. */
async function activeWebhook(
  env: Env,
  ctx: ExecutionContext,
  id: string,
): Promise<WebhookConfig | null> {
  if (!UUID.test(id)) return null;
  const config = await configLookup(() => findWebhookConfig(env, ctx, id.toLowerCase()));
  return config?.enabled ? config : null;
}

/** Config that neither KV nor D1 can answer for → 503, never a guess that could drop an event. */
async function configLookup<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    log.error('ingress config lookup failed', describeError(err));
    throw serviceUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS, 'Temporarily unavailable; retry later.');
  }
}

/** The policy the request's origin is judged by; unknown webhooks behave as allow-all ones. */
function policyFor(
  env: Env,
  ctx: ExecutionContext,
  webhook: WebhookConfig | null,
): CorsPolicy | Promise<CorsPolicy> {
  return webhook ? configLookup(() => findCorsPolicy(env, ctx, webhook.shopId)) : ALLOW_ALL_POLICY;
}

export async function receiveWebhookPost(
  request: RouteRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const webhookId = request.params['id']!;
  const responseHeaders: Record<string, string> = { 'x-request-id': crypto.randomUUID() };
  request.responseHeaders = responseHeaders;

  const webhook = await activeWebhook(env, ctx, webhookId);
  const origin = request.headers.get('origin');
  if (origin !== null) {
    if (!isOriginAllowed(await policyFor(env, ctx, webhook), origin)) throw originNotAllowed();
    Object.assign(responseHeaders, corsHeaders(origin, EXPOSED_HEADERS));
  }
  const idempotencyKey = idempotencyKeyOf(request.headers);
  // Derived for unknown webhooks too, so the answer does not tell them apart.
  const ids = idempotencyKey === null
    ? null
    : await idempotentIds(env.SECRETS_KEY, webhookId.toLowerCase(), idempotencyKey);
  const requestId = ids?.requestId ?? responseHeaders['x-request-id']!;
  responseHeaders['x-request-id'] = requestId;

  const clientIp = request.headers.get('cf-connecting-ip');
  const rateKey = `${UUID.test(webhookId) ? webhookId.toLowerCase() : 'invalid'}:${clientIp ?? '-'}`;
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
  if (webhook === null) return noContent();

  const data = await buildEventData(webhook.mode, {
    body: body.value,
    contentType: request.headers.get('content-type'),
    queryString: rawQueryString(request.url),
    headers: request.headers,
    clientIp,
    requestId,
    webhookId: webhookId.toLowerCase(),
  });
  const event = newEventEnvelope({
    shopId: webhook.shopId,
    topic: webhook.topic,
    data,
    source: 'webhook',
    webhookId: webhookId.toLowerCase(),
    webhookRequestId: requestId,
    ...(ids ? { id: ids.eventId } : {}),
  });
  await enqueueEvent(env, event);
  return noContent();
}

/** OPTIONS /webhooks/{id}: CORS preflight under the shop's policy. */
export async function answerWebhookPreflight(
  request: RouteRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  if (!request.headers.has('origin')) return noContent({ allow: INGRESS_ALLOW });
  const webhook = await activeWebhook(env, ctx, request.params['id']!);
  return preflightResponse(request, await policyFor(env, ctx, webhook), INGRESS_ALLOW, EXPOSED_HEADERS);
}

export function rejectWebhookMethod(): never {
  throw methodNotAllowed(INGRESS_ALLOW);
}

const originNotAllowed = () =>
  new AppError(403, 'origin_not_allowed', 'This origin is not allowed to post to this webhook.');

import { primaryDb } from '../shards';
import { findShop, type AppRecord } from '../shops/store';
import { MAX_WEBHOOK_RESOURCE_BODY_BYTES } from '../env';
import { decodeUtf8 } from '../encoding';
import { readBodyBytes } from '../http/body';
import { AppError } from '../http/errors';
import { jsonResponse } from '../http/json';
import type { RouteRequest } from '../http/route';
import { nowIso } from '../time';
import { allowsInsecureAddresses, type AddressRules } from '../http/outbound-address';
import {
  missingWebhookRoot,
  pageFilter,
  pageOfRows,
  parseAddressTopic,
  parseFieldsParam,
  parseListRequest,
  serializeWebhook,
  shopifyNotFound,
  shopifyValidationFailed,
  TAKEN,
  validateWebhookWrite,
  webhookRoot,
} from './resource';
import {
  countSubscriptions,
  findActiveSubscription,
  insertSubscription,
  isTaken,
  listSubscriptions,
  markSubscriptionDeleted,
  updateSubscription,
} from './store';

/**
 * HTTP for the Shopify-compatible `Webhook` resource under `/admin/api/{version}/`: turns requests
 * into typed calls of resource.ts and store.ts. The `/admin/api` router's stages have already
 * resolved the version and the app (`X-Shopify-Access-Token`) before a handler runs.
 */

/** The address rules for an app's shop (its own domains are refused). */
export async function addressRules(env: Env, app: AppRecord): Promise<AddressRules> {
  const shop = await findShop(primaryDb(env), app.shopId);
  const shopDomains = [shop?.myshopifyDomain, shop?.primaryDomain]
    .filter((d): d is string => typeof d === 'string' && d !== '')
    .map((d) => d.toLowerCase());
  return { shopDomains, allowInsecure: allowsInsecureAddresses(env) };
}

/** The path id as a positive integer; anything else names no webhook (404). */
function pathId(request: RouteRequest): number {
  const text = request.params['id'] ?? '';
  const id = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw shopifyNotFound();
  return id;
}

/**
 * The `webhook` object of a JSON body; missing, unreadable or non-JSON → Shopify's 400. `name` is
 * GraphQL's alone (Shopify's REST resource has none), so it is ignored here, as other unknown keys are.
 */
async function readWebhookBody(request: Request): Promise<Record<string, unknown>> {
  const { name: _name, ...webhook } = await readWebhookObject(request);
  return webhook;
}

async function readWebhookObject(request: Request): Promise<Record<string, unknown>> {
  let bytes: Uint8Array;
  try {
    bytes = await readBodyBytes(request, MAX_WEBHOOK_RESOURCE_BODY_BYTES);
  } catch (err) {
    if (err instanceof AppError && err.status === 413) throw err;
    throw missingWebhookRoot();
  }
  const text = decodeUtf8(bytes);
  let body: unknown;
  try {
    body = JSON.parse(text ?? '');
  } catch {
    throw missingWebhookRoot();
  }
  return webhookRoot(body);
}

export async function createWebhookRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = await readWebhookBody(request);
  const rules = await addressRules(env, app);
  const write = await validateWebhookWrite(input, null, rules, (topic, address) =>
    isTaken(primaryDb(env), app.id, topic, address, null),
  );
  const created = await insertSubscription(primaryDb(env), { shopId: app.shopId, appId: app.id }, write, nowIso());
  if (created === null) throw shopifyValidationFailed({ address: [TAKEN] });
  return jsonResponse({ webhook: serializeWebhook(created, app.apiVersion) }, 201);
}

export async function listWebhooksRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const url = new URL(request.url);
  const list = parseListRequest(url.searchParams);
  const backwards = list.page?.direction === 'previous';
  const rows = await listSubscriptions(primaryDb(env), app.id, pageFilter(list), list.limit + 1, backwards);
  const page = pageOfRows(list, rows);
  const headers: Record<string, string> = {};
  const links: string[] = [];
  const linkTo = (pageInfo: string, rel: string) => {
    const params = new URLSearchParams({ limit: String(list.limit) });
    const fields = url.searchParams.get('fields');
    if (fields !== null) params.set('fields', fields);
    params.set('page_info', pageInfo);
    return `<${url.origin}${url.pathname}?${params.toString()}>; rel="${rel}"`;
  };
  if (page.previous !== null) links.push(linkTo(page.previous, 'previous'));
  if (page.next !== null) links.push(linkTo(page.next, 'next'));
  if (links.length > 0) headers['link'] = links.join(', ');
  return jsonResponse(
    { webhooks: page.items.map((sub) => serializeWebhook(sub, app.apiVersion, list.fields)) },
    200,
    headers,
  );
}

export async function countWebhooksRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const filter = parseAddressTopic(new URL(request.url).searchParams);
  return jsonResponse({ count: await countSubscriptions(primaryDb(env), app.id, filter) });
}

export async function getWebhookRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const sub = await findActiveSubscription(primaryDb(env), app.id, pathId(request));
  if (sub === null) throw shopifyNotFound();
  const fields = parseFieldsParam(new URL(request.url).searchParams.get('fields'));
  return jsonResponse({ webhook: serializeWebhook(sub, app.apiVersion, fields) });
}

export async function updateWebhookRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const id = pathId(request);
  const current = await findActiveSubscription(primaryDb(env), app.id, id);
  if (current === null) throw shopifyNotFound();
  const input = await readWebhookBody(request);
  const rules = await addressRules(env, app);
  const write = await validateWebhookWrite(
    input,
    current,
    rules,
    (topic, address) => isTaken(primaryDb(env), app.id, topic, address, id),
    id,
  );
  const updated = await updateSubscription(primaryDb(env), app.id, id, write, nowIso());
  if (updated === 'taken') throw shopifyValidationFailed({ address: [TAKEN] });
  if (updated === null) throw shopifyNotFound();
  return jsonResponse({ webhook: serializeWebhook(updated, app.apiVersion) });
}

export async function deleteWebhookSubscriptionRoute(
  request: RouteRequest,
  env: Env,
  app: AppRecord,
): Promise<Response> {
  const deleted = await markSubscriptionDeleted(primaryDb(env), app.id, pathId(request), nowIso());
  if (!deleted) throw shopifyNotFound();
  return jsonResponse({});
}

import { primaryDb } from '../../shards';
import { MAX_WEBHOOK_RESOURCE_BODY_BYTES } from '../../env';
import { decodeUtf8 } from '../../encoding';
import { listShopWebhookTopics } from '../../ingress/store';
import { readBodyBytes } from '../../http/body';
import { AppError } from '../../http/errors';
import { jsonResponse } from '../../http/json';
import type { RouteRequest } from '../../http/route';
import type { AppRecord } from '../../shops/store';
import { refundGraphqlCost, spendGraphqlCost } from '../../limits/limits';
import { nowIso } from '../../time';
import type { AddressRules } from '../../http/outbound-address';
import { shopifyError } from '../../http/shopify-errors';
import { addressRules } from '../routes';
import { runGraphql, type GraphqlRequest } from './execute';
import type { GraphqlContext } from './context';
import { webhookSchema } from './schema';
import { listSubscribedUserTopics } from './store';
import { topicEnumValues } from './topics';

/**
 * POST /admin/api/{version}/graphql.json: the GraphQL Admin API's webhook subscriptions
 * (docs/contracts.md, "GraphQL Admin API"), with the REST resource's token header, app
 * scoping and version rules. A body that is no GraphQL request is Shopify's 400; everything a
 * GraphQL server reports (syntax, validation, user errors) is a 200 with `errors` or `userErrors`.
 */

const missingQuery = () => shopifyError(400, { query: 'Required parameter missing or invalid' }, 'bad_request');

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The request from a JSON body `{query, variables?, operationName?}` or an application/graphql body. */
async function readGraphqlRequest(request: Request): Promise<GraphqlRequest> {
  let bytes: Uint8Array;
  try {
    bytes = await readBodyBytes(request, MAX_WEBHOOK_RESOURCE_BODY_BYTES);
  } catch (err) {
    if (err instanceof AppError && err.status === 413) throw err;
    throw missingQuery();
  }
  const text = decodeUtf8(bytes);
  if (text === null) throw missingQuery();
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/graphql') {
    if (text.trim() === '') throw missingQuery();
    return { query: text, variables: {}, operationName: null };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw missingQuery();
  }
  if (!isRecord(body) || typeof body['query'] !== 'string' || body['query'].trim() === '') throw missingQuery();
  const variables = body['variables'] ?? {};
  const operationName = body['operationName'] ?? null;
  if (!isRecord(variables) || (operationName !== null && typeof operationName !== 'string')) throw missingQuery();
  return { query: body['query'], variables, operationName };
}

/** The `/admin/api` router's stages have resolved the version and the app before this runs. */
export async function graphqlRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const graphqlRequest = await readGraphqlRequest(request);
  const [webhookTopics, subscribedTopics] = await Promise.all([
    listShopWebhookTopics(primaryDb(env), app.shopId),
    listSubscribedUserTopics(primaryDb(env), app.id),
  ]);
  const topics = topicEnumValues([...webhookTopics, ...subscribedTopics].filter((t) => t.startsWith('user/')));
  let rules: Promise<AddressRules> | undefined;
  const context: GraphqlContext = {
    db: primaryDb(env),
    app,
    addressRules: () => (rules ??= addressRules(env, app)),
    topics,
    returned: new Map(),
    now: nowIso,
    bucket: {
      spend: (cost) => spendGraphqlCost(env, app.id, app.shopId, cost),
      refund: (points) => refundGraphqlCost(env, app.id, app.shopId, points),
    },
  };
  const answer = await runGraphql(webhookSchema([...topics.keys()]), graphqlRequest, context);
  return jsonResponse(answer);
}

import { expect, inject } from 'vitest';
import { ADMIN_TOKEN, call, jsonInit } from './helpers';
import type { ReceivedRequest } from './receiver/types';

/**
 * The Shopify Admin API stand-in: the test receiver (test/receiver/server.ts) on 127.0.0.1, keyed
 * by the shop's myshopify domain. `SHOPIFY_ADMIN_BASE_URL` points the `shopify` action at it.
 */
const RECEIVER = `http://127.0.0.1:${inject('receiverPort')}`;
export const STAND_IN_BASE_URL = `${RECEIVER}/r/{shop}`;

export interface StandInAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Scripts the stand-in's answers for a shop; requests without `accessToken` get Shopify's 401. */
export async function scriptStandIn(
  domain: string,
  accessToken: string,
  responses: StandInAnswer[],
  then: StandInAnswer = { status: 200, body: { data: {} } },
): Promise<void> {
  const res = await fetch(`${RECEIVER}/_script/${domain}`, {
    method: 'POST',
    body: JSON.stringify({ responses, then, accessToken }),
  });
  expect(res.status).toBe(204);
}

export async function standInRequests(domain: string): Promise<ReceivedRequest[]> {
  return (await fetch(`${RECEIVER}/_requests/${domain}`)).json<ReceivedRequest[]>();
}

/** Sets the shop's Admin API access token through the operator's shop route. */
export async function setShopifyAccessToken(shopId: string, token: string | null): Promise<Response> {
  return call(`/api/v1/shops/${shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { shopify_access_token: token }));
}

/** What Shopify answers when the cost bucket cannot pay for a query. */
export const throttledAnswer = (requested: number, available: number, restoreRate = 100) => ({
  errors: [
    {
      message: 'Throttled',
      extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
    },
  ],
  extensions: {
    cost: {
      requestedQueryCost: requested,
      actualQueryCost: null,
      throttleStatus: { maximumAvailable: 2000, currentlyAvailable: available, restoreRate },
    },
  },
});

export const cost = (requested: number, actual: number) => ({
  cost: {
    requestedQueryCost: requested,
    actualQueryCost: actual,
    throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 2000 - actual, restoreRate: 100 },
  },
});

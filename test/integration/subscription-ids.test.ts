import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { insertSubscription, type SubscriptionWrite } from '../../src/subscriptions/store';
import { call, createShopWithApp } from '../helpers';

// docs/contracts.md, "Ids and numbers": subscription ids reveal no count (no global
// counter) and stay below 2^53.

const V = '2026-04';

async function create(token: string, address: string): Promise<number> {
  const res = await call(`/admin/api/${V}/webhooks.json`, {
    method: 'POST',
    headers: { 'x-shopify-access-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ webhook: { topic: 'orders/create', address } }),
  });
  expect(res.status).toBe(201);
  const text = await res.text();
  const id = JSON.parse(text).webhook.id as number;
  // The id's digits as sent are exactly the number a double holds.
  expect(text).toContain(`"id":${id},`);
  return id;
}

afterEach(() => vi.restoreAllMocks());

describe('subscription ids', () => {
  it("do not let an app count other apps' subscriptions", async () => {
    const a = await createShopWithApp();
    const b = await createShopWithApp();
    const first = await create(a.token, 'https://a.example.com/1');
    for (let i = 0; i < 5; i++) await create(b.token, `https://b.example.com/${i}`);
    const second = await create(a.token, 'https://a.example.com/2');
    // A global counter would make the gap exactly 6 (5 of b's in between), and ids small.
    expect(second - first).not.toBe(6);
    expect(first).toBeGreaterThan(2 ** 20);
  });

  it('stay safe integers below 2^53 and ascend in creation order within an app', async () => {
    const app = await createShopWithApp();
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) ids.push(await create(app.token, `https://asc.example.com/${i}`));
    for (const id of ids) {
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(0);
      expect(id).toBeLessThan(2 ** 53);
    }
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    const steps = ids.slice(1).map((id, i) => id - ids[i]!);
    expect(new Set(steps).size).toBeGreaterThan(1);
  });

  it("are drawn again when a random id is already another app's", async () => {
    const a = await createShopWithApp();
    const b = await createShopWithApp();
    const write: SubscriptionWrite = {
      address: 'https://x.example.com/',
      topic: 'orders/create',
      format: 'json',
      fields: [],
      metafieldNamespaces: [],
    };
    const fixed = new Uint32Array([1, 2, 3]);
    const real = crypto.getRandomValues.bind(crypto);
    let draws = 0;
    const drawn = (array: Uint32Array): Uint32Array => {
      // The first two draws (a's first id, then b's) are the same: b's collides and is redrawn.
      if (++draws <= 2) {
        array.set(fixed);
        return array;
      }
      return real(array);
    };
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(drawn as typeof crypto.getRandomValues);
    const one = await insertSubscription(
      env.DB,
      { shopId: a.shopId, appId: a.appId },
      write,
      '2026-01-01T00:00:00.000Z',
    );
    const two = await insertSubscription(
      env.DB,
      { shopId: b.shopId, appId: b.appId },
      write,
      '2026-01-01T00:00:00.000Z',
    );
    expect(draws).toBe(3);
    expect(one?.id).toBe(1 * 2 ** 32 + 2 + 4);
    expect(two).not.toBeNull();
    expect(two!.id).not.toBe(one!.id);
  });

  it('of 16 digits work as since_id and in paths', async () => {
    const app = await createShopWithApp();
    let draws = 0;
    const real = crypto.getRandomValues.bind(crypto);
    // The first id drawn at the top of the range: base 2^52 - 1, step 1 → 2^52 (16 digits).
    const drawn = (array: Uint32Array): Uint32Array => {
      if (++draws === 1) {
        array.set([2 ** 20 - 1, 2 ** 32 - 1, 0]);
        return array;
      }
      return real(array);
    };
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(drawn as typeof crypto.getRandomValues);
    const first = await create(app.token, 'https://wide.example.com/1');
    const second = await create(app.token, 'https://wide.example.com/2');
    expect(first).toBe(2 ** 52);
    expect(String(second)).toHaveLength(16);
    const headers = { 'x-shopify-access-token': app.token };
    const since = await call(`/admin/api/${V}/webhooks.json?since_id=${first}`, { headers });
    expect(since.status).toBe(200);
    expect((await since.json<{ webhooks: { id: number }[] }>()).webhooks.map((w) => w.id)).toEqual([second]);
    const beyond = await call(`/admin/api/${V}/webhooks.json?since_id=9223372036854775807`, { headers });
    expect(await beyond.json()).toEqual({ webhooks: [] });
    expect((await call(`/admin/api/${V}/webhooks/${second}.json`, { headers })).status).toBe(200);
  });

  it('still report a taken topic and address as taken, not as an id collision', async () => {
    const a = await createShopWithApp();
    const write: SubscriptionWrite = {
      address: 'https://y.example.com/',
      topic: 'orders/create',
      format: 'json',
      fields: [],
      metafieldNamespaces: [],
    };
    expect(
      await insertSubscription(env.DB, { shopId: a.shopId, appId: a.appId }, write, '2026-01-01T00:00:00.000Z'),
    ).not.toBeNull();
    expect(
      await insertSubscription(env.DB, { shopId: a.shopId, appId: a.appId }, write, '2026-01-01T00:00:00.000Z'),
    ).toBeNull();
  });
});

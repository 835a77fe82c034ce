import { AppError } from '../../http/errors';
import { addressProblem, type AddressRules } from '../../http/outbound-address';
import { BLANK, INVALID, NAME_TAKEN, TAKEN, validateWebhookWrite } from '../resource';
import {
  insertSubscription,
  isNameTaken,
  isTaken,
  markSubscriptionDeleted,
  updateSubscription,
  type SubscriptionRecord,
} from '../store';
import type { GraphqlContext, UserError } from './context';
import { parseSubscriptionGid, subscriptionGid } from './ids';
import { findSubscription } from './queries';

/**
 * The three mutations over the same store and validation as the REST resource, its 422 findings
 * reported as user errors in Shopify's GraphQL wording. No Request/Response here.
 */

export interface SubscriptionInput {
  uri?: string | null;
  callbackUrl?: string | null;
  format?: 'JSON' | 'XML' | null;
  includeFields?: string[] | null;
  metafieldNamespaces?: string[] | null;
  filter?: string | null;
  name?: string | null;
}

export interface SubscriptionPayload {
  webhookSubscription: SubscriptionRecord | null;
  userErrors: UserError[];
}

const ADDRESS_FIELD = ['webhookSubscription', 'callbackUrl'];
const NOT_FOUND: UserError = { field: ['id'], message: 'Webhook subscription does not exist' };
const ADDRESS_MESSAGES: Record<string, string> = {
  [BLANK]: "Address can't be blank",
  [INVALID]: 'Address is invalid',
  [TAKEN]: 'Address for this topic has already been taken',
};
/** REST property → GraphQL input path and the attribute name Shopify's messages start with. */
const INPUT_FIELDS: Record<string, { path: string[]; label: string }> = {
  fields: { path: ['webhookSubscription', 'includeFields'], label: 'Include fields' },
  metafield_namespaces: { path: ['webhookSubscription', 'metafieldNamespaces'], label: 'Metafield namespaces' },
  format: { path: ['webhookSubscription', 'format'], label: 'Format' },
  topic: { path: ['topic'], label: 'Topic' },
  name: { path: ['webhookSubscription', 'name'], label: 'Name' },
  filter: { path: ['webhookSubscription', 'filter'], label: 'Filter' },
};
const NAME_TAKEN_ERROR: UserError = { field: INPUT_FIELDS['name']!.path, message: `Name ${NAME_TAKEN}` };

/** The REST body the shared validation reads, from the GraphQL input (only the keys given). */
function restInput(input: SubscriptionInput, topic: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (topic !== null) body['topic'] = topic;
  const address = input.uri ?? input.callbackUrl;
  if (address !== undefined) body['address'] = address;
  if (input.format) body['format'] = input.format.toLowerCase();
  if (input.includeFields !== undefined) body['fields'] = input.includeFields;
  if (input.metafieldNamespaces !== undefined) body['metafield_namespaces'] = input.metafieldNamespaces;
  if (input.name !== undefined) body['name'] = input.name;
  if (input.filter !== undefined) body['filter'] = input.filter;
  return body;
}

/** An address refused for its scheme gets Shopify's protocol message; others "is invalid". */
function addressMessage(message: string, address: unknown, rules: AddressRules): string {
  if (message === INVALID && typeof address === 'string' && addressProblem(address, rules) === 'not https') {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address.trim())?.[1]?.toLowerCase();
    if (scheme) return `Address protocol ${scheme}:// is not supported`;
  }
  return ADDRESS_MESSAGES[message] ?? `Address ${message}`;
}

/** The REST 422's `{property: [messages]}` as GraphQL user errors. */
function userErrorsOf(
  fields: Record<string, string[]>,
  body: Record<string, unknown>,
  rules: AddressRules,
): UserError[] {
  return Object.entries(fields).flatMap(([property, messages]) =>
    messages.map((message) =>
      property === 'address'
        ? { field: ADDRESS_FIELD, message: addressMessage(message, body['address'], rules) }
        : {
            field: INPUT_FIELDS[property]?.path ?? ['webhookSubscription', property],
            message: `${INPUT_FIELDS[property]?.label ?? property} ${message}`,
          },
    ),
  );
}

/** Runs the shared validation; a 422 becomes user errors, anything else propagates. */
async function validated(
  ctx: GraphqlContext,
  input: SubscriptionInput,
  topic: string | null,
  current: SubscriptionRecord | null,
): Promise<{ write: Awaited<ReturnType<typeof validateWebhookWrite>> } | { userErrors: UserError[] }> {
  const body = restInput(input, topic);
  const rules = await ctx.addressRules();
  const exceptId = current?.id ?? null;
  try {
    const write = await validateWebhookWrite(
      body,
      current,
      rules,
      (t, a) => isTaken(ctx.db, ctx.app.id, t, a, exceptId),
      null,
      (name) => isNameTaken(ctx.db, ctx.app.shopId, name, exceptId),
    );
    return { write };
  } catch (err) {
    const fields = restValidationFields(err);
    if (fields === null) throw err;
    return { userErrors: userErrorsOf(fields, body, rules) };
  }
}

/** Which unique rule a write lost to (the indexes decide races the checks above did not see). */
async function collisionError(ctx: GraphqlContext, name: string | null | undefined, exceptId: number | null) {
  if (name && (await isNameTaken(ctx.db, ctx.app.shopId, name, exceptId))) return NAME_TAKEN_ERROR;
  return { field: ADDRESS_FIELD, message: ADDRESS_MESSAGES[TAKEN]! };
}

function restValidationFields(err: unknown): Record<string, string[]> | null {
  if (!(err instanceof AppError) || err.status !== 422) return null;
  const body = err.options.body as { errors?: Record<string, string[]> } | undefined;
  return body?.errors ?? null;
}

/** `webhookSubscriptionCreate(topic:, webhookSubscription:)`. */
export async function createSubscription(
  ctx: GraphqlContext,
  topicName: string,
  input: SubscriptionInput,
): Promise<SubscriptionPayload> {
  const topic = ctx.topics.get(topicName) ?? topicName;
  const result = await validated(ctx, input, topic, null);
  if ('userErrors' in result) return { webhookSubscription: null, userErrors: result.userErrors };
  const created = await insertSubscription(
    ctx.db,
    { shopId: ctx.app.shopId, appId: ctx.app.id },
    result.write,
    ctx.now(),
  );
  if (created === null) {
    return { webhookSubscription: null, userErrors: [await collisionError(ctx, result.write.name, null)] };
  }
  return { webhookSubscription: created, userErrors: [] };
}

/** `webhookSubscriptionUpdate(id:, webhookSubscription:)`: only the input fields given change. */
export async function updateSubscriptionByGid(
  ctx: GraphqlContext,
  gid: string,
  input: SubscriptionInput,
): Promise<SubscriptionPayload> {
  const current = await findSubscription(ctx, gid);
  if (current === null) return { webhookSubscription: null, userErrors: [NOT_FOUND] };
  const result = await validated(ctx, input, null, current);
  if ('userErrors' in result) return { webhookSubscription: null, userErrors: result.userErrors };
  const updated = await updateSubscription(ctx.db, ctx.app.id, current.id, result.write, ctx.now());
  if (updated === 'taken') {
    return { webhookSubscription: null, userErrors: [await collisionError(ctx, result.write.name, current.id)] };
  }
  if (updated === null) return { webhookSubscription: null, userErrors: [NOT_FOUND] };
  return { webhookSubscription: updated, userErrors: [] };
}

/** `webhookSubscriptionDelete(id:)`. */
export async function deleteSubscriptionByGid(
  ctx: GraphqlContext,
  gid: string,
): Promise<{ deletedWebhookSubscriptionId: string | null; userErrors: UserError[] }> {
  const id = parseSubscriptionGid(gid);
  const deleted = id !== null && (await markSubscriptionDeleted(ctx.db, ctx.app.id, id, ctx.now()));
  if (!deleted) return { deletedWebhookSubscriptionId: null, userErrors: [NOT_FOUND] };
  return { deletedWebhookSubscriptionId: subscriptionGid(id), userErrors: [] };
}

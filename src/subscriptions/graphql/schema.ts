import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfigMap,
} from 'graphql';
import type { SubscriptionRecord } from '../store';
import type { GraphqlContext } from './context';
import { subscriptionGid } from './ids';
import {
  createSubscription,
  deleteSubscriptionByGid,
  updateSubscriptionByGid,
  type SubscriptionInput,
} from './mutations';
import {
  DEFAULT_COUNT_LIMIT,
  countForApp,
  findSubscription,
  subscriptionConnection,
  type ConnectionArgs,
} from './queries';
import { topicEnumName } from './topics';
import {
  ApiVersion,
  Count,
  DateTime,
  LegacyInteroperability,
  Node,
  PageInfo,
  UnsignedInt64,
  UrlScalar,
  UserError,
  WebhookSubscriptionEndpoint,
  WebhookSubscriptionFormat,
  WebhookSubscriptionInput,
  WebhookSubscriptionSortKeys,
  dateTime,
  listOf,
  nonNull,
} from './types';

/**
 * The GraphQL Admin API's webhook-subscription slice, with Shopify's names and nullability
 * (shopify.dev, GraphQL Admin reference: QueryRoot.webhookSubscription(s), webhookSubscriptionsCount,
 * the three webhookSubscription mutations, WebhookSubscription and its input). Built per set of
 * topic enum values, because `WebhookSubscriptionTopic` lists the shop's `user/…` topics too.
 */

/** Builds the schema for one set of topic enum names (see topics.ts). */
export function buildWebhookSchema(topicNames: readonly string[]): GraphQLSchema {
  const WebhookSubscriptionTopic = new GraphQLEnumType({
    name: 'WebhookSubscriptionTopic',
    values: Object.fromEntries(topicNames.map((name) => [name, { value: name }])),
  });

  const WebhookSubscription: GraphQLObjectType<SubscriptionRecord, GraphqlContext> = new GraphQLObjectType<
    SubscriptionRecord,
    GraphqlContext
  >({
    name: 'WebhookSubscription',
    interfaces: [LegacyInteroperability, Node],
    fields: {
      apiVersion: { type: nonNull(ApiVersion), resolve: (_sub, _args, ctx) => ctx.app.apiVersion },
      callbackUrl: {
        type: nonNull(UrlScalar),
        deprecationReason: 'Use `uri` instead.',
        resolve: (sub) => sub.address,
      },
      createdAt: { type: nonNull(DateTime), resolve: (sub) => dateTime(sub.createdAt) },
      endpoint: {
        type: nonNull(WebhookSubscriptionEndpoint),
        deprecationReason: 'Use `uri` instead.',
        resolve: (sub) => sub.address,
      },
      filter: { type: GraphQLString, resolve: (sub) => sub.filter },
      // edgehook's: deliveries the filter kept from being made (issue 24).
      filteredDeliveryCount: { type: nonNull(GraphQLInt), resolve: (sub) => sub.filteredCount },
      format: { type: nonNull(WebhookSubscriptionFormat), resolve: (sub) => sub.format.toUpperCase() },
      id: { type: nonNull(GraphQLID), resolve: (sub) => subscriptionGid(sub.id) },
      includeFields: { type: listOf(GraphQLString), resolve: (sub) => sub.fields },
      legacyResourceId: { type: nonNull(UnsignedInt64), resolve: (sub) => String(sub.id) },
      metafieldNamespaces: { type: listOf(GraphQLString), resolve: (sub) => sub.metafieldNamespaces },
      name: { type: GraphQLString, resolve: (sub) => sub.name },
      topic: { type: nonNull(WebhookSubscriptionTopic), resolve: (sub) => topicEnumName(sub.topic) },
      updatedAt: { type: nonNull(DateTime), resolve: (sub) => dateTime(sub.updatedAt) },
      uri: { type: nonNull(GraphQLString), resolve: (sub) => sub.address },
    },
  });

  const WebhookSubscriptionEdge = new GraphQLObjectType({
    name: 'WebhookSubscriptionEdge',
    fields: { cursor: { type: nonNull(GraphQLString) }, node: { type: nonNull(WebhookSubscription) } },
  });
  const WebhookSubscriptionConnection = new GraphQLObjectType({
    name: 'WebhookSubscriptionConnection',
    fields: {
      edges: { type: listOf(WebhookSubscriptionEdge) },
      nodes: { type: listOf(WebhookSubscription) },
      pageInfo: { type: nonNull(PageInfo) },
    },
  });

  const payload = (name: string) =>
    new GraphQLObjectType({
      name,
      fields: {
        userErrors: { type: listOf(UserError) },
        webhookSubscription: { type: WebhookSubscription },
      },
    });

  const query: GraphQLFieldConfigMap<unknown, GraphqlContext> = {
    webhookSubscription: {
      type: WebhookSubscription,
      args: { id: { type: nonNull(GraphQLID) } },
      resolve: (_root, args: { id: string }, ctx) => findSubscription(ctx, args.id),
    },
    webhookSubscriptions: {
      type: nonNull(WebhookSubscriptionConnection),
      args: {
        after: { type: GraphQLString },
        before: { type: GraphQLString },
        callbackUrl: { type: UrlScalar, deprecationReason: 'Use `uri` instead.' },
        first: { type: GraphQLInt },
        format: { type: WebhookSubscriptionFormat },
        last: { type: GraphQLInt },
        query: { type: GraphQLString },
        reverse: { type: GraphQLBoolean, defaultValue: false },
        sortKey: { type: WebhookSubscriptionSortKeys, defaultValue: 'CREATED_AT' },
        topics: { type: new GraphQLList(new GraphQLNonNull(WebhookSubscriptionTopic)) },
        uri: { type: GraphQLString },
      },
      resolve: async (_root, args: ConnectionArgs, ctx, info) => {
        const connection = await subscriptionConnection(ctx, args);
        ctx.returned.set(info.fieldNodes[0]!, connection.nodes.length);
        return connection;
      },
    },
    webhookSubscriptionsCount: {
      type: Count,
      args: { limit: { type: GraphQLInt, defaultValue: DEFAULT_COUNT_LIMIT }, query: { type: GraphQLString } },
      resolve: (_root, args: { limit: number | null; query?: string | null }, ctx) =>
        countForApp(ctx, args.limit, args.query ?? null),
    },
  };

  const mutation: GraphQLFieldConfigMap<unknown, GraphqlContext> = {
    webhookSubscriptionCreate: {
      type: payload('WebhookSubscriptionCreatePayload'),
      args: {
        topic: { type: nonNull(WebhookSubscriptionTopic) },
        webhookSubscription: { type: new GraphQLNonNull(WebhookSubscriptionInput) },
      },
      resolve: (_root, args: { topic: string; webhookSubscription: SubscriptionInput }, ctx) =>
        createSubscription(ctx, args.topic, args.webhookSubscription),
    },
    webhookSubscriptionDelete: {
      type: new GraphQLObjectType({
        name: 'WebhookSubscriptionDeletePayload',
        fields: { deletedWebhookSubscriptionId: { type: GraphQLID }, userErrors: { type: listOf(UserError) } },
      }),
      args: { id: { type: nonNull(GraphQLID) } },
      resolve: (_root, args: { id: string }, ctx) => deleteSubscriptionByGid(ctx, args.id),
    },
    webhookSubscriptionUpdate: {
      type: payload('WebhookSubscriptionUpdatePayload'),
      args: {
        id: { type: nonNull(GraphQLID) },
        webhookSubscription: { type: new GraphQLNonNull(WebhookSubscriptionInput) },
      },
      resolve: (_root, args: { id: string; webhookSubscription: SubscriptionInput }, ctx) =>
        updateSubscriptionByGid(ctx, args.id, args.webhookSubscription),
    },
  };

  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'QueryRoot', fields: query }),
    mutation: new GraphQLObjectType({ name: 'Mutation', fields: mutation }),
  });
}

/** Schemas by topic-name set; a shop's set rarely changes, so isolates reuse them. */
const SCHEMA_CACHE_ENTRIES = 32;
const schemaCache = new Map<string, GraphQLSchema>();

/** The schema for these topic enum names (cached per isolate). */
export function webhookSchema(topicNames: readonly string[]): GraphQLSchema {
  const key = topicNames.join(' ');
  let schema = schemaCache.get(key);
  if (schema === undefined) {
    schema = buildWebhookSchema(topicNames);
    if (schemaCache.size >= SCHEMA_CACHE_ENTRIES) schemaCache.delete(schemaCache.keys().next().value!);
    schemaCache.set(key, schema);
  }
  return schema;
}

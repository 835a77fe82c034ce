import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  type GraphQLFieldConfigMap,
  type GraphQLOutputType,
} from 'graphql';
import type { SubscriptionRecord } from '../store';
import { LATEST_STABLE_API_VERSION, isSupportedApiVersion } from '../versions';
import {
  DEFAULT_COUNT_LIMIT,
  countForApp,
  createSubscription,
  deleteSubscriptionByGid,
  findSubscription,
  subscriptionConnection,
  subscriptionGid,
  updateSubscriptionByGid,
  type ConnectionArgs,
  type GraphqlContext,
  type SubscriptionInput,
} from './resolvers';
import { topicEnumName } from './topics';

/**
 * The GraphQL Admin API's webhook-subscription slice, with Shopify's names and nullability
 * (shopify.dev, GraphQL Admin reference: QueryRoot.webhookSubscription(s), webhookSubscriptionsCount,
 * the three webhookSubscription mutations, WebhookSubscription and its input). Built per set of
 * topic enum values, because `WebhookSubscriptionTopic` lists the shop's `user/…` topics too.
 */

const nonNull = <T extends GraphQLOutputType>(type: T) => new GraphQLNonNull(type);
const listOf = <T extends GraphQLOutputType>(type: T) => new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type)));

/** A scalar Shopify serializes as a string. Input is taken as the string given (checked later). */
const stringScalar = (name: string, description: string) =>
  new GraphQLScalarType({
    name,
    description,
    serialize: (value) => String(value),
    parseValue: (value) => {
      if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
      return value;
    },
  });

const URL = stringScalar('URL', 'An RFC 3986 and RFC 3987 compliant URI string.');
const DateTime = stringScalar('DateTime', 'An ISO-8601 encoded UTC date time string, e.g. 2026-11-22T10:15:00Z.');
const UnsignedInt64 = stringScalar('UnsignedInt64', 'An unsigned 64-bit integer as a string of base-10 digits.');
const ARN = stringScalar('ARN', 'An Amazon Web Services Amazon Resource Name (ARN).');

/** Stored `2026-11-22T10:15:00.000Z` → Shopify's DateTime `2026-11-22T10:15:00Z`. */
const dateTime = (stored: string) => new Date(stored).toISOString().slice(0, 19) + 'Z';

const WebhookSubscriptionFormat = new GraphQLEnumType({
  name: 'WebhookSubscriptionFormat',
  values: { JSON: { value: 'JSON' }, XML: { value: 'XML' } },
});
const WebhookSubscriptionSortKeys = new GraphQLEnumType({
  name: 'WebhookSubscriptionSortKeys',
  values: { CREATED_AT: { value: 'CREATED_AT' }, ID: { value: 'ID' } },
});
const CountPrecision = new GraphQLEnumType({
  name: 'CountPrecision',
  values: { AT_LEAST: { value: 'AT_LEAST' }, EXACT: { value: 'EXACT' } },
});

const ApiVersion = new GraphQLObjectType<string, GraphqlContext>({
  name: 'ApiVersion',
  fields: {
    displayName: {
      type: nonNull(GraphQLString),
      resolve: (handle) => (handle === LATEST_STABLE_API_VERSION ? `${handle} (Latest)` : handle),
    },
    handle: { type: nonNull(GraphQLString), resolve: (handle) => handle },
    supported: { type: nonNull(GraphQLBoolean), resolve: (handle) => isSupportedApiVersion(handle) },
  },
});

const Node = new GraphQLInterfaceType({ name: 'Node', fields: { id: { type: nonNull(GraphQLID) } } });
const LegacyInteroperability = new GraphQLInterfaceType({
  name: 'LegacyInteroperability',
  fields: { legacyResourceId: { type: nonNull(UnsignedInt64) } },
});

const WebhookHttpEndpoint = new GraphQLObjectType<string>({
  name: 'WebhookHttpEndpoint',
  fields: { callbackUrl: { type: nonNull(URL), resolve: (address) => address } },
});
// Never returned (this server delivers over HTTPS only), declared because clients select them.
const WebhookEventBridgeEndpoint = new GraphQLObjectType({
  name: 'WebhookEventBridgeEndpoint',
  fields: { arn: { type: nonNull(ARN) } },
});
const WebhookPubSubEndpoint = new GraphQLObjectType({
  name: 'WebhookPubSubEndpoint',
  fields: { pubSubProject: { type: nonNull(GraphQLString) }, pubSubTopic: { type: nonNull(GraphQLString) } },
});
const WebhookSubscriptionEndpoint = new GraphQLUnionType({
  name: 'WebhookSubscriptionEndpoint',
  types: [WebhookEventBridgeEndpoint, WebhookHttpEndpoint, WebhookPubSubEndpoint],
  resolveType: () => 'WebhookHttpEndpoint',
});

const PageInfo = new GraphQLObjectType({
  name: 'PageInfo',
  fields: {
    endCursor: { type: GraphQLString },
    hasNextPage: { type: nonNull(GraphQLBoolean) },
    hasPreviousPage: { type: nonNull(GraphQLBoolean) },
    startCursor: { type: GraphQLString },
  },
});

const Count = new GraphQLObjectType({
  name: 'Count',
  fields: { count: { type: nonNull(GraphQLInt) }, precision: { type: nonNull(CountPrecision) } },
});

const UserError = new GraphQLObjectType({
  name: 'UserError',
  fields: {
    field: { type: new GraphQLList(nonNull(GraphQLString)) },
    message: { type: nonNull(GraphQLString) },
  },
});

const WebhookSubscriptionInput = new GraphQLInputObjectType({
  name: 'WebhookSubscriptionInput',
  fields: {
    callbackUrl: { type: URL, deprecationReason: 'Use `uri` instead.' },
    filter: { type: GraphQLString },
    format: { type: WebhookSubscriptionFormat },
    includeFields: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    metafieldNamespaces: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    uri: { type: GraphQLString },
  },
});

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
        type: nonNull(URL),
        deprecationReason: 'Use `uri` instead.',
        resolve: (sub) => sub.address,
      },
      createdAt: { type: nonNull(DateTime), resolve: (sub) => dateTime(sub.createdAt) },
      endpoint: {
        type: nonNull(WebhookSubscriptionEndpoint),
        deprecationReason: 'Use `uri` instead.',
        resolve: (sub) => sub.address,
      },
      filter: { type: GraphQLString, resolve: () => null },
      format: { type: nonNull(WebhookSubscriptionFormat), resolve: (sub) => sub.format.toUpperCase() },
      id: { type: nonNull(GraphQLID), resolve: (sub) => subscriptionGid(sub.id) },
      includeFields: { type: listOf(GraphQLString), resolve: (sub) => sub.fields },
      legacyResourceId: { type: nonNull(UnsignedInt64), resolve: (sub) => String(sub.id) },
      metafieldNamespaces: { type: listOf(GraphQLString), resolve: (sub) => sub.metafieldNamespaces },
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
        callbackUrl: { type: URL, deprecationReason: 'Use `uri` instead.' },
        first: { type: GraphQLInt },
        format: { type: WebhookSubscriptionFormat },
        last: { type: GraphQLInt },
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
      args: { limit: { type: GraphQLInt, defaultValue: DEFAULT_COUNT_LIMIT } },
      resolve: (_root, args: { limit: number | null }, ctx) => countForApp(ctx, args.limit),
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

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
  GraphQLString,
  GraphQLUnionType,
  type GraphQLOutputType,
} from 'graphql';
import { LATEST_STABLE_API_VERSION, isSupportedApiVersion } from '../../shops/api-versions';
import type { GraphqlContext } from './context';

/**
 * The schema's types that do not depend on the request's topic enum, built once per isolate and
 * shared by every schema (graphql-js allows a type object in several schemas). Names, fields and
 * nullability as in Shopify's GraphQL Admin reference.
 */

export const nonNull = <T extends GraphQLOutputType>(type: T) => new GraphQLNonNull(type);
export const listOf = <T extends GraphQLOutputType>(type: T) =>
  new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type)));

/** A scalar Shopify serializes as a string. Input is taken as the string given (checked later). */
export const stringScalar = (name: string, description: string) =>
  new GraphQLScalarType({
    name,
    description,
    serialize: (value) => String(value),
    parseValue: (value) => {
      if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
      return value;
    },
  });

export const UrlScalar = stringScalar('URL', 'An RFC 3986 and RFC 3987 compliant URI string.');
export const DateTime = stringScalar(
  'DateTime',
  'An ISO-8601 encoded UTC date time string, e.g. 2026-11-22T10:15:00Z.',
);
export const UnsignedInt64 = stringScalar('UnsignedInt64', 'An unsigned 64-bit integer as a string of base-10 digits.');
export const ARN = stringScalar('ARN', 'An Amazon Web Services Amazon Resource Name (ARN).');

/** Stored `2026-11-22T10:15:00.000Z` → Shopify's DateTime `2026-11-22T10:15:00Z`. */
export const dateTime = (stored: string) => new Date(stored).toISOString().slice(0, 19) + 'Z';

export const WebhookSubscriptionFormat = new GraphQLEnumType({
  name: 'WebhookSubscriptionFormat',
  values: { JSON: { value: 'JSON' }, XML: { value: 'XML' } },
});
export const WebhookSubscriptionSortKeys = new GraphQLEnumType({
  name: 'WebhookSubscriptionSortKeys',
  values: { CREATED_AT: { value: 'CREATED_AT' }, ID: { value: 'ID' } },
});
export const CountPrecision = new GraphQLEnumType({
  name: 'CountPrecision',
  values: { AT_LEAST: { value: 'AT_LEAST' }, EXACT: { value: 'EXACT' } },
});

export const ApiVersion = new GraphQLObjectType<string, GraphqlContext>({
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

export const Node = new GraphQLInterfaceType({ name: 'Node', fields: { id: { type: nonNull(GraphQLID) } } });
export const LegacyInteroperability = new GraphQLInterfaceType({
  name: 'LegacyInteroperability',
  fields: { legacyResourceId: { type: nonNull(UnsignedInt64) } },
});

export const WebhookHttpEndpoint = new GraphQLObjectType<string>({
  name: 'WebhookHttpEndpoint',
  fields: { callbackUrl: { type: nonNull(UrlScalar), resolve: (address) => address } },
});
// Never returned (this server delivers over HTTPS only), declared because clients select them.
export const WebhookEventBridgeEndpoint = new GraphQLObjectType({
  name: 'WebhookEventBridgeEndpoint',
  fields: { arn: { type: nonNull(ARN) } },
});
export const WebhookPubSubEndpoint = new GraphQLObjectType({
  name: 'WebhookPubSubEndpoint',
  fields: { pubSubProject: { type: nonNull(GraphQLString) }, pubSubTopic: { type: nonNull(GraphQLString) } },
});
export const WebhookSubscriptionEndpoint = new GraphQLUnionType({
  name: 'WebhookSubscriptionEndpoint',
  types: [WebhookEventBridgeEndpoint, WebhookHttpEndpoint, WebhookPubSubEndpoint],
  resolveType: () => 'WebhookHttpEndpoint',
});

export const PageInfo = new GraphQLObjectType({
  name: 'PageInfo',
  fields: {
    endCursor: { type: GraphQLString },
    hasNextPage: { type: nonNull(GraphQLBoolean) },
    hasPreviousPage: { type: nonNull(GraphQLBoolean) },
    startCursor: { type: GraphQLString },
  },
});

export const Count = new GraphQLObjectType({
  name: 'Count',
  fields: { count: { type: nonNull(GraphQLInt) }, precision: { type: nonNull(CountPrecision) } },
});

export const UserError = new GraphQLObjectType({
  name: 'UserError',
  fields: {
    field: { type: new GraphQLList(nonNull(GraphQLString)) },
    message: { type: nonNull(GraphQLString) },
  },
});

export const WebhookSubscriptionInput = new GraphQLInputObjectType({
  name: 'WebhookSubscriptionInput',
  fields: {
    callbackUrl: { type: UrlScalar, deprecationReason: 'Use `uri` instead.' },
    filter: { type: GraphQLString },
    format: { type: WebhookSubscriptionFormat },
    includeFields: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    metafieldNamespaces: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    name: { type: GraphQLString },
    uri: { type: GraphQLString },
  },
});

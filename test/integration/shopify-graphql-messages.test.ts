import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { callWithEnv, createShopWithApp } from '../helpers';

// Validation errors in the wording and extensions of graphql-ruby, which Shopify's GraphQL Admin
// API answers with (docs/api.md, "GraphQL validation messages"), through the Worker.

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field

async function gql(token: string, query: string, variables?: Record<string, unknown>): Promise<Json> {
  const res = await callWithEnv(env, '/admin/api/2026-04/graphql.json', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  const body = await res.json<Json>();
  expect(body.data).toBeUndefined();
  return body.errors;
}

describe('GraphQL validation messages in Shopify wording', () => {
  it('words an unknown enum value as an invalid argument value with the expected type', async () => {
    const { token } = await createShopWithApp();
    const errors = await gql(
      token,
      'mutation { webhookSubscriptionCreate(topic: ORDERS_EXPLODE, webhookSubscription: {uri: "https://a.example.com"}) { userErrors { message } } }',
    );
    expect(errors).toEqual([
      {
        message:
          "Argument 'topic' on Field 'webhookSubscriptionCreate' has an invalid value (ORDERS_EXPLODE). Expected type 'WebhookSubscriptionTopic!'.",
        locations: [{ line: 1, column: 45 }],
        extensions: { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: 'topic' },
      },
    ]);
  });

  it('reports one error per argument when a nested input value is wrong', async () => {
    const { token } = await createShopWithApp();
    const errors = await gql(
      token,
      'mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: 5, format: YAML}) { userErrors { message } } }',
    );
    expect(errors).toEqual([
      expect.objectContaining({
        message:
          "Argument 'webhookSubscription' on Field 'webhookSubscriptionCreate' has an invalid value ({uri: 5, format: YAML}). Expected type 'WebhookSubscriptionInput!'.",
        extensions: { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: 'webhookSubscription' },
      }),
    ]);
  });

  it('words an unknown field with its type and field name', async () => {
    const { token } = await createShopWithApp();
    const errors = await gql(token, '{ webhookSubscriptions(first: 1) { nodes { bogusField } } }');
    expect(errors).toEqual([
      {
        message: "Field 'bogusField' doesn't exist on type 'WebhookSubscription'",
        locations: [{ line: 1, column: 44 }],
        extensions: { code: 'undefinedField', typeName: 'WebhookSubscription', fieldName: 'bogusField' },
      },
    ]);
  });

  it('words unknown and missing arguments, one error for all missing arguments of a field', async () => {
    const { token } = await createShopWithApp();
    expect(await gql(token, '{ webhookSubscriptions(first: 1, colour: 2) { nodes { id } } }')).toEqual([
      expect.objectContaining({
        message: "Field 'webhookSubscriptions' doesn't accept argument 'colour'",
        extensions: {
          code: 'argumentNotAccepted',
          name: 'webhookSubscriptions',
          typeName: 'Field',
          argumentName: 'colour',
        },
      }),
    ]);
    expect(await gql(token, 'mutation { webhookSubscriptionCreate { userErrors { message } } }')).toEqual([
      expect.objectContaining({
        message: "Field 'webhookSubscriptionCreate' is missing required arguments: topic, webhookSubscription",
        extensions: {
          code: 'missingRequiredArguments',
          className: 'Field',
          name: 'webhookSubscriptionCreate',
          arguments: 'topic, webhookSubscription',
        },
      }),
    ]);
  });

  it('words variables declared but not used, used but not declared, and of the wrong type', async () => {
    const { token } = await createShopWithApp();
    expect(await gql(token, 'query Q($n: Int) { webhookSubscriptionsCount { count } }')).toEqual([
      expect.objectContaining({
        message: 'Variable $n is declared by Q but not used',
        extensions: { code: 'variableNotUsed', variableName: 'n' },
      }),
    ]);
    expect(await gql(token, '{ webhookSubscriptions(first: $n) { nodes { id } } }')).toEqual([
      expect.objectContaining({
        message: 'Variable $n is used by anonymous query but not declared',
        extensions: { code: 'variableNotDefined', variableName: 'n' },
      }),
    ]);
    expect(await gql(token, 'query ($id: ID) { webhookSubscription(id: $id) { id } }')).toEqual([
      expect.objectContaining({
        message: 'Nullability mismatch on variable $id and argument id (ID / ID!)',
        extensions: {
          code: 'variableMismatch',
          variableName: 'id',
          typeName: 'ID',
          argumentName: 'id',
          errorMessage: 'Nullability mismatch',
        },
      }),
    ]);
  });

  it('words selections on scalars and missing selections on objects', async () => {
    const { token } = await createShopWithApp();
    expect(await gql(token, '{ webhookSubscriptions(first: 1) { nodes { id { x } } } }')).toEqual([
      expect.objectContaining({
        message: `Selections can't be made on scalars (field 'id' returns ID but has selections ["x"])`,
        extensions: { code: 'selectionMismatch', nodeName: "field 'id'", typeName: 'ID' },
      }),
    ]);
    expect(await gql(token, '{ webhookSubscriptionsCount }')).toEqual([
      expect.objectContaining({
        message:
          "Field must have selections (field 'webhookSubscriptionsCount' returns Count but has no selections. Did you mean 'webhookSubscriptionsCount { ... }'?)",
        extensions: { code: 'selectionMismatch', nodeName: "field 'webhookSubscriptionsCount'", typeName: 'Count' },
      }),
    ]);
  });

  it('words fragments used but not defined, defined but not used, and directives not defined', async () => {
    const { token } = await createShopWithApp();
    expect(await gql(token, '{ ...F }')).toEqual([
      expect.objectContaining({
        message: 'Fragment F was used, but not defined',
        extensions: { code: 'undefinedFragment', fragmentName: 'F' },
      }),
    ]);
    expect(await gql(token, '{ __typename } fragment G on QueryRoot { __typename }')).toEqual([
      expect.objectContaining({
        message: 'Fragment G was defined, but not used',
        extensions: { code: 'useAndDefineFragment', fragmentName: 'G' },
      }),
    ]);
    expect(await gql(token, '{ __typename @nope }')).toEqual([
      expect.objectContaining({
        message: 'Directive @nope is not defined',
        extensions: { code: 'undefinedDirective', directiveName: 'nope' },
      }),
    ]);
  });

  it('words unknown types, non-input variable types and conflicting fields', async () => {
    const { token } = await createShopWithApp();
    expect(await gql(token, 'query ($x: Colour) { webhookSubscription(id: $x) { id } }')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: "Colour isn't a defined input type (on $x)",
          extensions: { code: 'variableRequiresValidType', typeName: 'Colour', variableName: 'x' },
        }),
      ]),
    );
    expect(await gql(token, '{ ... on Colour { __typename } }')).toEqual([
      expect.objectContaining({
        message: "No such type Colour, so it can't be a fragment condition",
        extensions: { code: 'undefinedType', typeName: 'Colour' },
      }),
    ]);
    expect(await gql(token, 'query ($x: WebhookSubscription) { __typename }')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: "WebhookSubscription isn't a valid input type (on $x)",
          extensions: { code: 'variableRequiresValidType', typeName: 'WebhookSubscription', variableName: 'x' },
        }),
      ]),
    );
    expect(await gql(token, '{ webhookSubscriptionsCount { count: precision count } }')).toEqual([
      expect.objectContaining({
        message: "Field 'count' has a field conflict: precision or count?",
        extensions: { code: 'fieldConflict', fieldName: 'count', conflicts: 'precision or count' },
      }),
    ]);
  });
});

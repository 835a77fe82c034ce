import { DEFAULT_PAGE_LIMIT, MAX_ADMIN_BODY_BYTES, MAX_PAGE_LIMIT } from '../env';
import { requestBodySchema } from './json-schema';
import type { OperationDescription, ValueKind } from './operation-types';

/** The API's own version, shown in `info.version` (package.json's). */
const API_DOCUMENT_VERSION = '0.1.0';

type Json = Record<string, unknown>;

/** itty's `/:id` and greedy `/:key+` become OpenAPI's `/{id}` and `/{key}`. */
export const openApiPath = (ittyPath: string): string => ittyPath.replace(/:(\w+)\+?/g, '{$1}');

/** Path parameters by name; `greedy` for itty's `:name+`, which matches across `/`. */
const pathParams = (ittyPath: string): { name: string; greedy: boolean }[] =>
  [...ittyPath.matchAll(/:(\w+)(\+?)/g)].map((m) => ({ name: m[1]!, greedy: m[2] === '+' }));

const ERROR_SCHEMA: Json = {
  type: 'object',
  description: 'Every error of the management API. `fields` appears on 422 answers only.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description: 'A stable machine-readable code.',
          examples: ['unauthorized', 'validation_failed'],
        },
        message: { type: 'string', description: 'Plain words for people; never internal detail.' },
        fields: {
          type: 'object',
          description: 'Per-field messages, keyed by the dotted path of the field.',
          additionalProperties: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

const errorResponse = (description: string, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The shared error answers, by status; operations refer to them. */
const ERROR_RESPONSES: Record<string, Json> = {
  BadRequest: errorResponse('`invalid_json`: the body is not a JSON object.'),
  Unauthorized: errorResponse('`unauthorized`: the bearer token is missing or unknown.', {
    'WWW-Authenticate': { schema: { type: 'string', const: 'Bearer' } },
  }),
  Forbidden: errorResponse('`forbidden`: a valid token of the other kind (operator vs app).'),
  NotFound: errorResponse("`not_found`: no such resource for this token (another shop's is never revealed)."),
  PayloadTooLarge: errorResponse(`\`payload_too_large\`: the body exceeds ${MAX_ADMIN_BODY_BYTES} bytes.`),
  ValidationFailed: errorResponse('`validation_failed`: `fields` names each bad field (unknown fields included).'),
  InternalError: errorResponse('`internal_error`: logged on the server; the answer reveals nothing.'),
};

const PAGING_PARAMETERS: Record<string, Json> = {
  Limit: {
    name: 'limit',
    in: 'query',
    description: `Items per page (default ${DEFAULT_PAGE_LIMIT}).`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
  },
  Cursor: {
    name: 'cursor',
    in: 'query',
    description: "The previous page's `next_cursor`; opaque. Omit for the first page.",
    schema: { type: 'string' },
  },
};

const SECURITY_SCHEMES: Json = {
  operatorToken: {
    type: 'http',
    scheme: 'bearer',
    description: "The operator token (the Worker's ADMIN_TOKEN secret): manages shops and apps.",
  },
  appToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'eh_ followed by 48 hex digits',
    description: "An app's access token (shown once when the app is created): manages its own shop.",
  },
};

const VALUE_SCHEMAS: Record<ValueKind, Json> = {
  object: { type: 'object' },
  array: { type: 'array' },
  string: { type: 'string' },
  'string | null': { type: ['string', 'null'] },
  integer: { type: 'integer' },
  json: {},
};

function successResponse(op: OperationDescription): Json {
  if (op.status === 204) return { description: 'Done; no body.' };
  const schema: Json = op.list
    ? {
        type: 'object',
        required: [op.list, 'next_cursor'],
        properties: {
          [op.list]: { type: 'array', items: { type: 'object' } },
          next_cursor: {
            type: ['string', 'null'],
            description: 'Pass as `cursor` for the next page; null on the last page.',
          },
        },
      }
    : op.returns
      ? {
          type: 'object',
          required: Object.keys(op.returns),
          properties: Object.fromEntries(Object.entries(op.returns).map(([k, kind]) => [k, VALUE_SCHEMAS[kind]])),
        }
      : { type: 'object' };
  return { description: op.summary, content: { 'application/json': { schema } } };
}

function operation(method: string, ittyPath: string, op: OperationDescription): Json {
  const params = pathParams(ittyPath);
  const parameters: Json[] = params.map(({ name, greedy }) => ({
    name,
    in: 'path',
    required: true,
    ...(greedy ? { description: 'May contain `/` (sent as is, or percent-encoded as %2F).' } : {}),
    schema: { type: op.pathTypes?.[name] ?? 'string' },
  }));
  if (op.list) parameters.push({ $ref: '#/components/parameters/Limit' }, { $ref: '#/components/parameters/Cursor' });
  for (const filter of op.filters ?? []) parameters.push({ ...filter, in: 'query' });

  const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
  const responses: Json = { [String(op.status)]: successResponse(op) };
  if (op.body) {
    responses['400'] = ref('BadRequest');
    responses['413'] = ref('PayloadTooLarge');
  }
  if (op.auth !== 'none') {
    responses['401'] = ref('Unauthorized');
    responses['403'] = ref('Forbidden');
  }
  if (params.length > 0) responses['404'] = ref('NotFound');
  for (const extra of op.errors ?? []) responses[String(extra.status)] = errorResponse(extra.description);
  // Bodies, paging and filters are all checked; path keys (cache keys) are too.
  if (op.body || op.list || op.filters || ittyPath.includes('+')) responses['422'] = ref('ValidationFailed');
  responses['500'] = ref('InternalError');

  return {
    operationId: operationId(method, ittyPath),
    summary: op.summary,
    tags: [op.tag],
    security: op.auth === 'none' ? [] : [{ [op.auth === 'operator' ? 'operatorToken' : 'appToken']: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: !op.bodyOptional,
            content: { 'application/json': { schema: requestBodySchema(op.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** `POST /api/v1/shops/:shopId/apps` → `postShopsShopIdApps`: stable names for generated clients. */
function operationId(method: string, ittyPath: string): string {
  const words = ittyPath
    .replace(/^\/api\/v1\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '' && w !== 'json');
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The whole document. `origin` becomes the one server, so "try it" tools call this Worker. */
export function buildOpenApiDocument(origin: string, operations: Record<string, OperationDescription>): Json {
  const paths: Record<string, Json> = {};
  for (const [key, op] of Object.entries(operations)) {
    const [method, ittyPath] = key.split(' ') as [string, string];
    (paths[openApiPath(ittyPath)] ??= {})[method.toLowerCase()] = operation(method, ittyPath, op);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'edgehook management API',
      version: API_DOCUMENT_VERSION,
      description:
        'JSON over HTTPS with `Authorization: Bearer <token>`: the operator token manages shops and apps; ' +
        "an app's access token manages its own shop's webhooks, tasks, events, cache and deliveries. " +
        'A token of the other kind is a 403. Lists are paged with `limit` and `cursor`; each page carries ' +
        '`next_cursor` (null on the last). A method a path does not offer is a 405 with `Allow`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: origin }],
    tags: [...new Set(Object.values(operations).map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      responses: ERROR_RESPONSES,
      parameters: PAGING_PARAMETERS,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

import type * as v from 'valibot';
import type { RouteRequest } from '../http/route';
import type { AppRecord } from '../shops/store';

/** Which bearer token a route takes (src/shops/auth.ts): the other kind is a 403. */
export type Auth = 'operator' | 'app' | 'none';

/** A query parameter of a list's filters, described as JSON Schema. */
export interface QueryFilter {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** The kind of a top-level response value; `json` is any JSON value. */
export type ValueKind = 'object' | 'array' | 'string' | 'string | null' | 'integer' | 'json';

/** What a route does with its request, by the token it takes: the router checks the token first. */
export type OperationHandler =
  | { auth: 'operator'; handler: (request: RouteRequest, env: Env) => Promise<Response> }
  | { auth: 'app'; handler: (request: RouteRequest, env: Env, app: AppRecord) => Promise<Response> }
  | { auth: 'none'; handler: (request: RouteRequest) => Response };

/** One row of the route table: how the route is mounted and what the OpenAPI document says of it. */
export type OperationDescription = OperationHandler & OperationDocs;

export interface OperationDocs {
  summary: string;
  tag: string;
  /** The valibot schema the handler passes to `parseBody`. */
  body?: v.GenericSchema;
  /** The body may be empty (preview renders the stored task then). */
  bodyOptional?: boolean;
  /** A paged list: the name of its array; `limit`, `cursor` and `next_cursor` apply. */
  list?: string;
  filters?: QueryFilter[];
  /** Status of success and the top-level keys of its JSON body (none for 204). */
  status: 200 | 201 | 202 | 204;
  returns?: Record<string, ValueKind>;
  /** Error statuses particular to this route (the usual ones are added from auth, params, body). */
  errors?: { status: number; description: string }[];
  /** Path parameters that are not plain strings. */
  pathTypes?: Record<string, 'integer'>;
}

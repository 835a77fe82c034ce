import type { FieldNode } from 'graphql';
import type { AppRecord } from '../../shops/store';
import type { AddressRules } from '../address';

/** What every GraphQL field of one request sees. */
export interface GraphqlContext {
  db: D1Database;
  app: AppRecord;
  /** The shop's address rules, read once when a mutation first needs them. */
  addressRules: () => Promise<AddressRules>;
  /** Enum name → topic, for this request's `WebhookSubscriptionTopic`. */
  topics: ReadonlyMap<string, string>;
  /** Nodes each connection field returned, for the actual query cost. */
  returned: Map<FieldNode, number>;
  now: () => string;
}

export interface UserError {
  field: string[] | null;
  message: string;
}

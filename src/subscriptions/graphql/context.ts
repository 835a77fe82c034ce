import type { FieldNode } from 'graphql';
import type { AppRecord } from '../../shops/store';
import type { AddressRules } from '../../http/outbound-address';
import type { ThrottleStatus } from './cost';

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
  /**
   * The app's GraphQL call-limit bucket (docs/contracts.md, "Call limits"): a query reserves its requested cost
   * before it runs and gets back what it did not use. Absent: the query is served unmetered.
   */
  bucket?: {
    spend(cost: number): Promise<{ allowed: boolean; throttleStatus: ThrottleStatus }>;
    refund(points: number): Promise<ThrottleStatus>;
  };
}

export interface UserError {
  field: string[] | null;
  message: string;
}

import { DurableObject } from 'cloudflare:workers';
import { availableUnits, EMPTY_BUCKET, pour, refund, usedUnits, type BucketShape, type BucketState } from './bucket';
import { GRAPHQL_BUCKET, REST_BUCKET } from './shapes';
import { ensureBucketTable, readBucket, writeBucket, type BucketName } from './store';

/** A REST call's outcome: whether it may proceed, and the bucket as the header shows it. */
export interface RestSpend {
  allowed: boolean;
  used: number;
  capacity: number;
}

/** Shopify's `extensions.cost.throttleStatus`. */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface GraphqlSpend {
  allowed: boolean;
  throttleStatus: ThrottleStatus;
}

/**
 * The call-limit buckets of one app on one shop. A Durable Object is the one place this state
 * lives, so every isolate and location sees the same count; its methods run to completion
 * without awaiting, so concurrent calls cannot interleave between reading and writing a bucket.
 * State is written through to the object's SQLite storage, so eviction does not refill anything.
 */
export class CallLimits extends DurableObject<Env> {
  /** Milliseconds since the epoch. A field so tests can drive time instead of sleeping. */
  clock: () => number = () => Date.now();
  private readonly buckets = new Map<BucketName, BucketState>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ensureBucketTable(ctx.storage.sql);
  }

  /** Spends one REST call if the bucket has room. */
  spendRest(): RestSpend {
    const result = pour(this.bucket('rest'), REST_BUCKET, 1, this.clock());
    if (result.allowed) this.save('rest', result.state);
    return { allowed: result.allowed, used: usedUnits(result.state), capacity: REST_BUCKET.capacity };
  }

  /** Reserves `cost` GraphQL points if they fit; a query that does not fit spends nothing. */
  spendGraphql(cost: number): GraphqlSpend {
    const result = pour(this.bucket('graphql'), GRAPHQL_BUCKET, cost, this.clock());
    if (result.allowed) this.save('graphql', result.state);
    return { allowed: result.allowed, throttleStatus: throttleStatus(result.state, GRAPHQL_BUCKET) };
  }

  /** Gives back points a query reserved but did not use (requested minus actual cost). */
  refundGraphql(points: number): ThrottleStatus {
    const state = refund(this.bucket('graphql'), GRAPHQL_BUCKET, points, this.clock());
    this.save('graphql', state);
    return throttleStatus(state, GRAPHQL_BUCKET);
  }

  private bucket(name: BucketName): BucketState {
    let state = this.buckets.get(name);
    if (state === undefined) {
      state = readBucket(this.ctx.storage.sql, name) ?? EMPTY_BUCKET;
      this.buckets.set(name, state);
    }
    return state;
  }

  private save(name: BucketName, state: BucketState): void {
    writeBucket(this.ctx.storage.sql, name, state);
    this.buckets.set(name, state);
  }
}

function throttleStatus(state: BucketState, shape: BucketShape): ThrottleStatus {
  return {
    maximumAvailable: shape.capacity,
    currentlyAvailable: availableUnits(state, shape),
    restoreRate: shape.leakPerSecond,
  };
}

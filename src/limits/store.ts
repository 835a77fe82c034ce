import type { BucketState } from './bucket';

/**
 * Every SQL statement of the `CallLimits` Durable Object (its own SQLite storage, one database per
 * app and shop). One row per bucket: `rest` and `graphql`.
 */

export type BucketName = 'rest' | 'graphql';

interface BucketRow {
  used_milli: number;
  at_ms: number;
  [column: string]: SqlStorageValue;
}

/** Creates the table on first use of an object; cheap when it exists. */
export function ensureBucketTable(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS buckets (
       name       TEXT PRIMARY KEY,
       used_milli INTEGER NOT NULL,
       at_ms      INTEGER NOT NULL
     )`,
  );
}

/** The stored state of a bucket, or null when it was never used. */
export function readBucket(sql: SqlStorage, name: BucketName): BucketState | null {
  const rows = sql.exec<BucketRow>('SELECT used_milli, at_ms FROM buckets WHERE name = ?', name).toArray();
  const row = rows[0];
  return row === undefined ? null : { usedMilli: row.used_milli, atMs: row.at_ms };
}

export function writeBucket(sql: SqlStorage, name: BucketName, state: BucketState): void {
  sql.exec(
    `INSERT INTO buckets (name, used_milli, at_ms) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET used_milli = excluded.used_milli, at_ms = excluded.at_ms`,
    name,
    state.usedMilli,
    state.atMs,
  );
}

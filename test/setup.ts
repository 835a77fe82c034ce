import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { allShards } from '../src/shards';

// Each test file gets its own storage; give every database (the primary, shard 0, and each further
// shard) the schema, as `npm run db:migrate:local` does.
for (const db of [...allShards(env), env.TEST_SHARD_2]) await applyD1Migrations(db, env.TEST_MIGRATIONS);

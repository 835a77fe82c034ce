import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { unstable_readConfig } from 'wrangler';

// Two projects: `workers` runs inside workerd with the bindings of wrangler.toml (real local D1,
// KV, Queues and rate limiters) plus test-only bindings declared in test/env.d.ts; `node` runs the
// developer commands (npm start) as a new user would, against `wrangler dev`.
/** A fixed test-only key for secrets at rest (base64 of 32 bytes). */
const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ADMIN_TOKEN: 'test-admin-token',
                  SECRETS_KEY: TEST_SECRETS_KEY,
                  // The delivery tests' receiver listens on http://127.0.0.1.
                  ALLOW_INSECURE_ADDRESSES: 'true',
                },
                // A limiter tight enough to reach in a test; handed to the Worker in place of
                // INGRESS_RATE_LIMITER by the test that needs it.
                ratelimits: { TEST_TIGHT_RATE_LIMITER: { simple: { limit: 2, period: 60 } } },
                // A third database, for the tests that spread a batch over three shards (the
                // Worker itself runs with wrangler.toml's two).
                d1Databases: ['TEST_SHARD_2'],
                queueConsumers: immediateConsumers(),
              },
            }),
          ],
          test: {
            name: 'workers',
            setupFiles: ['./test/setup.ts'],
            globalSetup: ['./test/receiver/global-setup.ts'],
            include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          },
        },
        {
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/node/**/*.test.ts'],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});

interface ConsumerConfig {
  queue: string;
  max_batch_size?: number;
  max_retries?: number;
  dead_letter_queue?: string;
  retry_delay?: number;
}

/**
 * wrangler.toml's queue consumers, unchanged except that they flush at once instead of waiting up
 * to max_batch_timeout, so end-to-end tests do not sleep a second per event.
 */
function immediateConsumers() {
  const consumers: ConsumerConfig[] = unstable_readConfig({ config: './wrangler.toml' }).queues.consumers ?? [];
  return Object.fromEntries(
    consumers.map((c) => [
      c.queue,
      {
        maxBatchSize: c.max_batch_size,
        maxBatchTimeout: 0,
        maxRetries: c.max_retries,
        deadLetterQueue: c.dead_letter_queue,
        retryDelay: c.retry_delay,
      },
    ]),
  );
}

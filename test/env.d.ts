// Test-only bindings (vitest.config.ts) and the Worker's module type for `exports.default`.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    TEST_TIGHT_RATE_LIMITER: RateLimit;
    TEST_SHARD_2: D1Database;
  }
  interface GlobalProps {
    mainModule: typeof import('../src/index');
  }
}

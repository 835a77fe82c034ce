import { runMaintenance } from './pipeline/maintenance';
import { consumeQueueBatch } from './pipeline/consumers';
export { CacheWaiters } from './cache/waiters';
import type { QueueMessage } from './queue/messages';
import { router } from './router';

// Durable Object classes must be exported by the main module.
export { CallLimits } from './limits/call-limits';

/** The Worker: HTTP through the router, queue batches to their consumer, cron to maintenance. */
export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
  queue: (batch, env) => consumeQueueBatch(batch, env),
  scheduled: (controller, env) => runMaintenance(env, controller.scheduledTime),
} satisfies ExportedHandler<Env, QueueMessage>;

import { runMaintenance } from './maintenance';
export { CacheWaiters } from './cache/waiters';
import { consumeQueueBatch } from './queue/consumers';
import type { QueueMessage } from './queue/messages';
import { router } from './router';

/** The Worker: HTTP through the router, queue batches to their consumer, cron to maintenance. */
export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
  queue: (batch, env) => consumeQueueBatch(batch, env),
  scheduled: (controller, env) => runMaintenance(env, controller.scheduledTime),
} satisfies ExportedHandler<Env, QueueMessage>;

/**
 * `Env` is generated from wrangler.toml by `npm run cf-typegen` (worker-configuration.d.ts) and is
 * global; this module holds the limits and settings every other module reads, each with its unit.
 */

// ── Ingress ────────────────────────────────────────────────────────────────────────────────────
/** Largest request body a webhook accepts (docs/contracts.md, "Requests and answers": 1 MiB). */
export const MAX_BODY_BYTES = 1_048_576;
/**
 * Largest event `data` (serialized JSON, UTF-8) that can be stored: D1 rows are capped at
 * 2,000,000 bytes, and the row carries a few hundred bytes besides `data`.
 */
export const MAX_EVENT_DATA_BYTES = 1_990_000;
/**
 * Events whose serialized data is longer than this (UTF-16 code units) are stored in D1 first and
 * queued by id. Queue messages are capped at 128 KB; a v8-serialized string takes at most 2 bytes
 * per code unit, so 60,000 units stay under the cap with room for the envelope.
 */
export const MAX_INLINE_EVENT_CHARS = 60_000;
/** Nesting deeper than this in form/query parameters makes them unparsable (Rack's default). */
export const MAX_PARAM_DEPTH = 32;
/** More parameters than this in one form or query string makes it unparsable. */
export const MAX_PARAM_COUNT = 1_000;
/** JSON bodies nested deeper than this count as unparsable, so later stages never recurse deeply. */
export const MAX_JSON_DEPTH = 64;
/** `Retry-After` sent with a 503 when neither the queue nor D1 accepted an event. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;
/** The ingress rate limiter's period; must equal `period` of INGRESS_RATE_LIMITER in wrangler.toml. */
export const INGRESS_RATE_LIMIT_PERIOD_SECONDS = 60;
/** The cache read limiter's period; must equal `period` of CACHE_RATE_LIMITER in wrangler.toml. */
export const CACHE_RATE_LIMIT_PERIOD_SECONDS = 60;

// ── Config lookups on the hot path ────────────────────────────────────────────────────────────
/** How long an isolate trusts a webhook or CORS record it read from KV or D1. */
export const CONFIG_MEMO_TTL_MS = 30_000;
/** How long an isolate remembers that a webhook does not exist (or a KV miss found nothing in D1). */
export const CONFIG_NEGATIVE_MEMO_TTL_MS = 5_000;
/**
 * How long KV remembers that D1 has no webhook or endpoint of an id (KV's smallest TTL). Ids are
 * random UUIDs made at creation, which writes the real copy, so no real id is ever remembered so.
 */
export const CONFIG_NEGATIVE_KV_TTL_SECONDS = 60;
/** How long an isolate remembers that a cache key is missing in D1 (a write in the isolate clears it). */
export const CACHE_MISS_MEMO_TTL_MS = 1_000;
/** Upper bound on memoised config records per isolate; the oldest are dropped first. */
export const CONFIG_MEMO_MAX_ENTRIES = 10_000;

// ── CORS ──────────────────────────────────────────────────────────────────────────────────────
/** Preflight cache lifetime; Chromium caps it at 7,200 s, so a larger value buys nothing. */
export const CORS_MAX_AGE_SECONDS = 7_200;

// ── Events queue ──────────────────────────────────────────────────────────────────────────────
/** Queue names as declared in wrangler.toml; `queue()` dispatches on them. */
export const QUEUE_NAMES = {
  events: 'edgehook-events',
  eventsDeadLetter: 'edgehook-events-dlq',
  deliveries: 'edgehook-deliveries',
  deliveriesDeadLetter: 'edgehook-deliveries-dlq',
} as const;
/** First retry delay of an events-queue message whose batch could not be stored; doubles per attempt. */
export const EVENTS_RETRY_BASE_DELAY_SECONDS = 5;
/** Ceiling of the events-queue retry delay. */
export const EVENTS_RETRY_MAX_DELAY_SECONDS = 300;
/**
 * While a move pauses a shop's processing, its queue messages are sent again this many seconds
 * later (a new message, not a retry: the move's pause never uses up a message's retries).
 */
export const PAUSED_SHOP_RESEND_DELAY_SECONDS = 15;
/**
 * A dead-letter message of a shop a move has paused is retried this much later (a dead-letter
 * queue has no producer to send it again), up to the dead-letter consumers' `max_retries`
 * (wrangler.toml, DEAD_LETTER_MAX_RETRIES): ten tries five minutes apart outlast a move of some
 * 900,000 rows; after them the message is kept in `dead_letters`.
 */
export const PAUSED_SHOP_DEAD_LETTER_DELAY_SECONDS = 300;
/** The dead-letter queues' consumers' `max_retries` in wrangler.toml (a test keeps them equal). */
export const DEAD_LETTER_MAX_RETRIES = 10;
/**
 * A consumer invocation starts no new outbound request (delivery, task action) this long after it
 * read the shop map; what is left goes back to the queue as new messages (no retry used up). With
 * the longest request timeout (HTTP_ACTION_TIMEOUT_MS, SHOPIFY_ACTION_TIMEOUT_MS) and its records,
 * its last write of a shop's rows comes well inside MOVE_DRAIN_SECONDS (a test keeps them so).
 */
export const CONSUMER_WORK_DEADLINE_SECONDS = 20;
/** What MOVE_DRAIN_SECONDS leaves, past the deadline and the longest request, for the last records. */
export const MOVE_DRAIN_RECORD_MARGIN_SECONDS = 30;
/**
 * Shop moves (operator/moves.ts): how long a paused shop's in-flight work gets to finish before the
 * copy: a consumer that read the map before the pause writes nothing after CONSUMER_WORK_DEADLINE_SECONDS,
 * its longest request and MOVE_DRAIN_RECORD_MARGIN_SECONDS.
 */
export const MOVE_DRAIN_SECONDS = 60;
/** After the switch, how long writers holding the old map (an edge copy, an isolate's memo) get. */
export const MOVE_SETTLE_SECONDS = 120;
/** Rows read and written per statement of a move's copy or clean-up. */
export const MOVE_CHUNK_ROWS = 100;
/** Chunks one cron run copies or cleans per move (bounded work per run). */
export const MOVE_CHUNKS_PER_RUN = 200;
/** Unfinished moves one cron run advances. */
export const MOVES_PER_RUN = 4;
/** Retry-After of a management API write refused while a move copies the shop's rows. */
export const MOVE_WRITE_RETRY_AFTER_SECONDS = 30;
/** Pending events the cron sweep enqueues per run (a queue `sendBatch` takes at most 100). */
export const SWEEP_BATCH_SIZE = 100;
/** Rows deleted by retention per D1 call, so one call never holds D1 for long. */
export const RETENTION_DELETE_BATCH_SIZE = 1_000;
/**
 * Most retention batches per table per cron run (every minute): up to 5,000 rows a minute,
 * 7.2 million a day per table, above what one D1 database takes in (docs/capacity.md).
 */
export const RETENTION_MAX_BATCHES_PER_RUN = 5;
/** Dead-letter rows keep at most this many characters of the message body. */
export const DEAD_LETTER_BODY_MAX_CHARS = 100_000;

// ── Inbound Shopify webhooks ──────────────────────────────────────────────────────────────────
/**
 * Default of SHOPIFY_WEBHOOK_MAX_AGE_HOURS: an inbound delivery whose `X-Shopify-Triggered-At` is
 * older is refused as a replay. Shopify retries a failed delivery for about 4 hours.
 */
export const DEFAULT_SHOPIFY_WEBHOOK_MAX_AGE_HOURS = 48;

// ── Management API ────────────────────────────────────────────────────────────────────────────
/** Largest JSON body the management API reads. */
export const MAX_ADMIN_BODY_BYTES = 262_144;
/** Longest Shopify client secret accepted for inbound webhooks. */
export const MAX_SHOPIFY_SECRET_CHARS = 255;
/** Longest Shopify Admin API access token accepted for the `shopify` action. */
export const MAX_SHOPIFY_ACCESS_TOKEN_CHARS = 255;
/** Longest IANA time zone name accepted for a shop (the longest in tzdata is 32). */
export const MAX_TIMEZONE_CHARS = 64;
/** Default and largest page size for management API lists. */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 250;

// ── Delivery ──────────────────────────────────────────────────────────────────────────────────
/** The version in every delivery's `User-Agent: edgehook/<version>`. */
export const EDGEHOOK_VERSION = '0.1.0';
/** A delivery attempt that has no complete answer within this time has failed. */
export const DELIVERY_TIMEOUT_MS = 5_000;
/** Retries after the first attempt; then the delivery is `failed`. */
export const DELIVERY_MAX_RETRIES = 8;
/**
 * Delay before the first retry; doubles per retry: 1, 2, 4, … 128 minutes, about 4 h 15 min in all
 * (the largest, 7,680 s, is well under a queue's 43,200 s `delaySeconds` limit).
 */
export const DELIVERY_RETRY_BASE_DELAY_SECONDS = 60;
/** Redelivery delay of a deliveries-queue message whose outcome could not be recorded. */
export const DELIVERY_RECORD_RETRY_DELAY_SECONDS = 30;
/**
 * Deliveries in flight at once per consumer batch. A Worker invocation holds at most 6 outbound
 * connections and queues the rest, so more would let a queued request's timeout run before it
 * is even sent.
 */
export const DELIVERY_CONCURRENCY = 6;
/** Recorded attempt errors keep at most this many characters. */
export const DELIVERY_ERROR_MAX_CHARS = 500;
/**
 * A receiver's answer body up to this size is read (and dropped) so its connection can carry the
 * next delivery; a longer one is cancelled, which closes the connection.
 */
export const DELIVERY_RESPONSE_DRAIN_MAX_BYTES = 65_536;
/**
 * Deliveries per second to one destination (an app's host) when the deployment sets no
 * `DELIVERY_RATE_LIMIT_PER_SECOND`; more wait in the queue.
 */
export const DEFAULT_DELIVERY_RATE_LIMIT_PER_SECOND = 100;
/** Largest accepted `DELIVERY_RATE_LIMIT_PER_SECOND`. */
export const MAX_DELIVERY_RATE_LIMIT_PER_SECOND = 10_000;
/** Consecutive failed attempts to a destination that pause it (the circuit breaker opens). */
export const DELIVERY_BREAKER_FAILURE_THRESHOLD = 10;
/** A paused destination's first probe waits this long; each later one twice the one before … */
export const DELIVERY_BREAKER_FIRST_PROBE_SECONDS = 30;
/** … up to this. */
export const DELIVERY_BREAKER_MAX_PROBE_SECONDS = 3_600;
/**
 * A delivery this old that its paused destination still holds fails (replayable) instead of
 * waiting on: a destination that never recovers does not keep deliveries pending for ever.
 */
export const DELIVERY_MAX_HOLD_SECONDS = 48 * 3_600;
// ── Shopify-compatible Webhook resource ──────────────────────────────────────────────────────
/** Largest JSON body the `Webhook` resource reads on create and update. */
export const MAX_WEBHOOK_RESOURCE_BODY_BYTES = 65_536;
/** Default and largest `limit` of the `Webhook` list (Shopify's: 50 and 250). */
export const DEFAULT_WEBHOOK_LIST_LIMIT = 50;
export const MAX_WEBHOOK_LIST_LIMIT = 250;
/** Longest accepted subscription address, in characters. */
export const MAX_WEBHOOK_ADDRESS_CHARS = 2_048;
/** Most entries in `fields` / `metafield_namespaces` of a subscription. */
export const MAX_WEBHOOK_LIST_ENTRIES = 100;

// ── Tasks and actions (docs/contracts.md, "Tasks and cache") ─────────────────────────────────────
/** Largest Liquid script a task may hold. */
export const MAX_TASK_SCRIPT_CHARS = 100_000;
/** Largest serialized `options` object of a task. */
export const MAX_TASK_OPTIONS_BYTES = 65_536;
/** Longest delay a subscription (`+N.unit`) may ask for: one year. */
export const MAX_TASK_DELAY_SECONDS = 31_536_000;
/**
 * Wall-clock bound on one render, checked by liquidjs between template nodes. Workers' clocks only
 * advance across I/O, so TASK_RENDER_MAX_STEPS is the bound that holds for pure-CPU loops.
 */
export const TASK_RENDER_LIMIT_MS = 2_000;
/** Template nodes one render may evaluate (loops count each iteration's nodes). */
export const TASK_RENDER_MAX_STEPS = 200_000;
/** liquidjs `memoryLimit`: characters/items a render may allocate (ranges, strings, filters). */
export const TASK_RENDER_MEMORY_LIMIT = 10_000_000;
/** liquidjs `parseLimit`: characters of template a parse may read. */
export const TASK_PARSE_LIMIT_CHARS = 1_000_000;
/** Largest rendered output (UTF-16 code units) a task run may produce. */
export const TASK_OUTPUT_MAX_CHARS = 1_000_000;
/**
 * Deepest nesting of one output object. Well above what actions accept (data and cache values
 * follow ingress's MAX_JSON_DEPTH, and fail their action beyond it), and far below what V8 can
 * parse but no longer serialize (about 5,000), which would otherwise fail whole batches.
 */
export const TASK_OUTPUT_MAX_DEPTH = 256;
/** Ancestors of an event exposed as `event.parent…`, and the deepest chain an `event` action may extend. */
export const MAX_EVENT_DEPTH = 5;
/** Longest `delaySeconds` a queue message may carry (Cloudflare Queues: 12 hours). */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
/** Delays before the 2nd…5th attempt of a transiently failed action (contracts.md, "Runs"). */
export const ACTION_RETRY_DELAYS_SECONDS = [30, 60, 150, 300] as const;
/** Attempts an action gets in all: the first plus one per retry delay. */
export const MAX_ACTION_ATTEMPTS = ACTION_RETRY_DELAYS_SECONDS.length + 1;
/** Task runs executed at once by one consumer invocation. */
export const TASK_RUN_CONCURRENCY = 8;
/**
 * Most statements in one D1 transaction (`db.batch`) of a consumer batch's runs. A batch of 100
 * one-action runs needs about 300; larger batches are split into several transactions, each
 * holding whole runs, so a single transaction never holds D1's one writer for long.
 */
export const D1_BATCH_MAX_STATEMENTS = 500;
/**
 * Largest JSON text (UTF-16 code units, counted twice for safety) bound as the rows parameter of
 * one bulk insert; D1 caps a string at 2,000,000 bytes.
 */
export const ROWS_PARAM_MAX_CHARS = 1_000_000;
/** Task runs the cron sweep hands to the queue per run. */
export const TASK_RUN_SWEEP_BATCH_SIZE = 100;
/** Timeout of one `http` action request. */
export const HTTP_ACTION_TIMEOUT_MS = 10_000;
/**
 * Bytes of an `http` action's response body read (after the runtime undid any Content-Encoding);
 * the rest is cancelled unread, and the result says `truncated: true`.
 */
export const HTTP_ACTION_MAX_BODY_BYTES = 262_144;
/** Longest GraphQL document (whitespace not counted) a `shopify` action may send, as Shopify's own limit. */
export const SHOPIFY_ACTION_MAX_QUERY_CHARS = 50_000;
/** Timeout of one `shopify` action request. */
export const SHOPIFY_ACTION_TIMEOUT_MS = 10_000;
/**
 * Attempts a `shopify` action gets in all when Shopify keeps throttling it (`THROTTLED`, 429):
 * each waits as long as the cost bucket needs, so these are cheap for Shopify and for the queue.
 */
export const SHOPIFY_ACTION_MAX_THROTTLED_ATTEMPTS = 12;
/** Wait after a `429` without `Retry-After` (Shopify's REST answer says 2.0). */
export const SHOPIFY_429_DEFAULT_RETRY_SECONDS = 2;
/** Shortest and longest wait before a throttled `shopify` action is tried again. */
export const SHOPIFY_THROTTLE_MIN_RETRY_SECONDS = 1;
export const SHOPIFY_THROTTLE_MAX_RETRY_SECONDS = 600;
/** Largest `shopify` answer (serialized) an action run keeps whole; a larger one is kept without `data`. */
export const SHOPIFY_ACTION_MAX_RESULT_CHARS = 262_144;
/** Characters of Shopify's error messages kept in an action run's error. */
export const SHOPIFY_ACTION_ERROR_MAX_CHARS = 2_000;
/**
 * Longest action options or result (serialized) copied into a follow-up event's data; a longer one
 * is replaced by its length, so the event fits a D1 row however large the action was.
 */
export const FOLLOW_UP_MAX_VALUE_CHARS = 262_144;
/** (shop, scheduler topic) pairs the cron looks at per run; the rest wait a minute (late, not lost). */
export const SCHEDULER_PAIRS_PER_RUN = 200;
/**
 * Missed periods of one pair the scheduler still emits, late, after the cron could not run (the
 * most recent ones): a day of `hourly`, four hours of `10min`. Older ones are logged as skipped.
 */
export const SCHEDULER_MAX_CATCH_UP_PERIODS = 24;

// ── Cache ─────────────────────────────────────────────────────────────────────────────────────
/** Longest cache key. */
export const MAX_CACHE_KEY_CHARS = 256;
/** Largest cache value (serialized JSON, UTF-8). */
export const MAX_CACHE_VALUE_BYTES = 262_144;
/** Default and largest cache TTL: 60 days. */
export const MAX_CACHE_TTL_SECONDS = 5_184_000;
/** KV's smallest `expirationTtl`; shorter entries carry their own expiry in KV metadata. */
export const KV_MIN_TTL_SECONDS = 60;
/**
 * KV copies written at once by one consumer invocation. A Worker invocation keeps at most 6
 * connections open and queues the rest.
 */
export const KV_COPY_CONCURRENCY = 6;
/**
 * First delay of a `cache-copy` message after a KV write failed; doubles per retry. KV accepts
 * one write per second to the same key, so 2 s clears the window that refused the write.
 */
export const CACHE_RECOPY_BASE_DELAY_SECONDS = 2;
/** Ceiling of the re-copy delay. */
export const CACHE_RECOPY_MAX_DELAY_SECONDS = 60;
/** Expired cache entries deleted per cron run. */
export const CACHE_EXPIRY_DELETE_BATCH_SIZE = 1_000;

// Waiting cache reads (`?wait=N`, docs/contracts.md, "Waiting reads").
/** Longest `wait`, in seconds. */
export const MAX_CACHE_WAIT_SECONDS = 25;
/** Waiters one shop's CacheWaiters object holds; beyond it a read answers at once. */
export const MAX_CACHE_WAITERS_PER_SHOP = 10_000;
/**
 * Waiters one client address may hold in one shop's object at once; past it a `?wait` read is
 * answered `429` with `Retry-After`, so one client cannot take every slot of a shop.
 */
export const MAX_CACHE_WAITERS_PER_CLIENT = 20;

// The local demo: fixed ids so `npm start` is repeatable and the printed commands stay valid.
// The app token is a development value for the local database only; it is never deployed.

export const DEMO = {
  shopId: '6f1c2b9e-4d3a-4e8f-9b7c-1a2d3e4f5a6b',
  myshopifyDomain: 'demo.myshopify.com',
  primaryDomain: 'demo.example.com',
  appId: '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f',
  appToken: 'eh_local_demo_token_not_for_production',
  webhookId: '3b5e7c9a-1d2f-4a6b-8c0e-2f4a6c8e0b1d',
  topic: 'user/demo/submit',
  taskId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  cacheKey: 'demo/greeting',
  cacheEndpointToken: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
  /** The latest submission's result, for the demo storefront (`npm run demo`). */
  lastResultKey: 'demo/last',
  lastResultEndpointToken: '7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b',
};

/** The demo task: greets whoever posted, through the cache, and counts submissions. */
export const DEMO_TASK_SCRIPT = `{% assign name = event.data.name | default: "stranger" %}
{% assign greeting = "Hello, " | append: name | append: "!" %}
{% action "cache", "setex", "${DEMO.cacheKey}", 3600, greeting %}
{% action "cache", "incr", "demo/submissions" %}
{% action "cache" %}
{"setex": {"key": "${DEMO.lastResultKey}", "ttl": 3600, "value": {
  "request_id": {{ event.webhook_request_id | json }},
  "greeting": {{ greeting | json }},
  "file": {{ event.data.attachment.name | default: "" | json }}
}}}
{% endaction %}
{% log greeting %}`;

/**
 * The lines `npm start` prints: where things are and what to curl.
 * @param {string} baseUrl
 */
export function demoLines(baseUrl) {
  const auth = `-H 'Authorization: Bearer ${DEMO.appToken}'`;
  return [
    '',
    'edgehook demo (local):',
    `  shop     ${DEMO.myshopifyDomain} (primary domain ${DEMO.primaryDomain})`,
    `  webhook  ${baseUrl}/webhooks/${DEMO.webhookId}  (topic ${DEMO.topic})`,
    `  app token ${DEMO.appToken}`,
    `  console  ${baseUrl}/  (sign in with the app token)`,
    '',
    'Post to the webhook (answers 204 with an x-request-id):',
    `  curl -i -X POST ${baseUrl}/webhooks/${DEMO.webhookId} -H 'content-type: application/json' -d '{"name":"Ada"}'`,
    '',
    `Then read what the demo task wrote to the cache (key ${DEMO.cacheKey}) at its cache endpoint:`,
    `  curl -s ${baseUrl}/cache/${DEMO.cacheEndpointToken}`,
    '',
    'See the stored event, then its task runs (put the event id in place of EVENT_ID):',
    `  curl -s ${auth} '${baseUrl}/api/v1/events?limit=1&include=data'`,
    `  curl -s ${auth} ${baseUrl}/api/v1/events/EVENT_ID/task_runs`,
    '',
  ];
}

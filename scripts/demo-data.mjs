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
  /** Each submission's result is cached at `demo/greeting/{x-request-id}`, read through a prefix endpoint. */
  greetingKeyPrefix: 'demo/greeting/',
  greetingEndpointToken: '8f7e6d5c-4b3a-4c2d-9e1f-0a9b8c7d6e5f',
};

/**
 * The demo task: greets whoever posted under a key of their own (the request id their browser got
 * back), so every shopper reads their own result, and counts submissions.
 */
export const DEMO_TASK_SCRIPT = `{% assign name = event.data.name | default: "stranger" %}
{% assign greeting = "Hello, " | append: name | append: "!" %}
{% assign key = "${DEMO.greetingKeyPrefix}" | append: event.webhook_request_id %}
{% action "cache" %}
{"setex": {"key": {{ key | json }}, "ttl": 3600, "value": {
  "greeting": {{ greeting | json }},
  "file": {{ event.data.attachment.name | default: "" | json }}
}}}
{% endaction %}
{% action "cache", "incr", "demo/submissions" %}
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
    `Then read your own result (key ${DEMO.greetingKeyPrefix}{x-request-id}): put the x-request-id in place of`,
    'REQUEST_ID; the request waits up to 10 s for the task to write it:',
    `  curl -s '${baseUrl}/cache/${DEMO.greetingEndpointToken}/REQUEST_ID?wait=10'`,
    '',
    'Or both in one go:',
    `  id=$(curl -s -D - -o /dev/null -X POST ${baseUrl}/webhooks/${DEMO.webhookId} -H 'content-type: application/json' -d '{"name":"Ada"}' | tr -d '\\r' | awk 'tolower($1)=="x-request-id:" {print $2}')`,
    `  curl -s "${baseUrl}/cache/${DEMO.greetingEndpointToken}/$id?wait=10"`,
    '',
    'See the stored event, then its task runs (put the event id in place of EVENT_ID):',
    `  curl -s ${auth} '${baseUrl}/api/v1/events?limit=1&include=data'`,
    `  curl -s ${auth} ${baseUrl}/api/v1/events/EVENT_ID/task_runs`,
    '',
  ];
}

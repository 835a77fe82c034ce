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
};

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
    '',
    'Post to the webhook (answers 204 with an x-request-id):',
    `  curl -i -X POST ${baseUrl}/webhooks/${DEMO.webhookId} -H 'content-type: application/json' -d '{"name":"Ada"}'`,
    '',
    'See the stored event:',
    `  curl -s ${auth} '${baseUrl}/api/v1/events?limit=1&include=data'`,
    '',
  ];
}

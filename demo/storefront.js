// The demo storefront's script: submit to the webhook three ways, read x-request-id, then read
// this shopper's own result at the prefix cache endpoint, `{resultPrefixUrl}/{x-request-id}`, with
// `?wait` so the Worker holds the request until the task has written it (no polling).
// window.EDGEHOOK comes from /config.js (written by scripts/lib/demo.mjs).
const { workerUrl, webhookId, resultPrefixUrl } = window.EDGEHOOK;
const WAIT_SECONDS = 10;

const $ = (id) => document.getElementById(id);
$('page-origin').textContent = location.origin;
$('worker-url').textContent = workerUrl;

function report(state, status, fields = {}) {
  $('outcome').className = state;
  $('status').textContent = status;
  if ('requestId' in fields) $('request-id').textContent = fields.requestId ?? '—';
  if ('result' in fields) $('result').textContent = fields.result ?? '—';
}

async function submit(style, body, headers = {}) {
  report('sending', `Sending (${style})…`, { requestId: null, result: null });
  let response;
  try {
    // Credentials included, as storefront code often sends them; edgehook allows it for allowed origins.
    response = await fetch(`${workerUrl}/webhooks/${webhookId}`, {
      method: 'POST',
      body,
      headers,
      credentials: 'include',
    });
  } catch (err) {
    // A refused CORS request surfaces as a network error: the page cannot see the 403 itself.
    report('failed', `Refused: the webhook did not accept this origin (${err.message}).`);
    return;
  }
  if (response.status !== 204) {
    report('failed', `The webhook answered ${response.status}.`);
    return;
  }
  const requestId = response.headers.get('x-request-id');
  report('waiting', `Accepted (${style}); waiting for the task's result…`, { requestId });
  await readResult(requestId);
}

async function readResult(requestId) {
  const url = `${resultPrefixUrl}/${encodeURIComponent(requestId)}?wait=${WAIT_SECONDS}`;
  const response = await fetch(url, { cache: 'no-store', credentials: 'include' }).catch(() => null);
  if (response?.ok) {
    const value = await response.json();
    const file = value.file ? ` (file: ${value.file})` : '';
    report('done', 'Done.', { result: `${value.greeting}${file}` });
    return;
  }
  report('failed', `No result for this request within ${WAIT_SECONDS} s; try again.`);
}

$('json-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const name = new FormData(event.target).get('name');
  submit('JSON', JSON.stringify({ name }), { 'content-type': 'application/json' });
});
$('file-form').addEventListener('submit', (event) => {
  event.preventDefault();
  submit('FormData with a file', new FormData(event.target));
});
$('plain-form').addEventListener('submit', (event) => {
  event.preventDefault();
  // A urlencoded body is a CORS "simple request": no preflight, as a plain HTML form post.
  submit('urlencoded form', new URLSearchParams(new FormData(event.target)));
});

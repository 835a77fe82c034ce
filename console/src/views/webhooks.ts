// Webhooks of the shop (create, copy the URL, enable/disable, delete) and its CORS origins.
import { api, seg } from '../api';
import { badge, field, h, replace, table } from '../dom';
import { act, heading, say, type ViewContext } from '../view';

interface Webhook {
  id: string;
  name: string;
  topic: string;
  data_mode: string;
  enabled: boolean;
  url: string;
}
interface Cors {
  allow_all: boolean;
  origins: string[];
}

/** #/webhooks */
export async function webhooksView(ctx: ViewContext): Promise<void> {
  const list = h('div', {});
  const cors = h('div', {});
  replace(
    ctx.main,
    heading('Webhooks'),
    createForm(() => drawList(list)),
    list,
    h('h2', {}, 'CORS origins'),
    cors,
  );
  await Promise.all([drawList(list), drawCors(cors)]);
}

function createForm(refresh: () => Promise<void>): HTMLFormElement {
  const name = h('input', { required: true, autocomplete: 'off' });
  const topic = h('input', { required: true, placeholder: 'user/contact/submit', autocomplete: 'off' });
  const mode = h('select', {}, h('option', { value: 'auto' }, 'auto'), h('option', { value: 'full' }, 'full'));
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create webhook');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'New webhook' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'New webhook'),
      h(
        'div',
        { class: 'row' },
        field('Name', name),
        field('Topic', topic, 'user/<subject>/<verb>'),
        field('Data mode', mode),
      ),
      h('div', { class: 'actions' }, submit),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      const { webhook } = await api<{ webhook: Webhook }>('POST', '/api/v1/webhooks', {
        body: { name: name.value, topic: topic.value.trim(), data_mode: mode.value },
      });
      name.value = '';
      topic.value = '';
      say(`Webhook "${webhook.name}" created.`);
      await refresh();
    });
  });
  return form;
}

async function drawList(container: HTMLElement): Promise<void> {
  const { webhooks } = await api<{ webhooks: Webhook[] }>('GET', '/api/v1/webhooks?limit=250');
  if (webhooks.length === 0) {
    replace(container, h('p', { class: 'muted' }, 'No webhooks yet.'));
    return;
  }
  const rows = webhooks.map((w) => {
    const toggle = h(
      'button',
      { type: 'button', 'aria-label': `${w.enabled ? 'Disable' : 'Enable'} ${w.name}` },
      w.enabled ? 'Disable' : 'Enable',
    );
    toggle.addEventListener('click', () =>
      act(toggle, async () => {
        await api('PATCH', `/api/v1/webhooks/${seg(w.id)}`, { body: { enabled: !w.enabled } });
        say(`Webhook "${w.name}" ${w.enabled ? 'disabled' : 'enabled'}.`);
        await drawList(container);
      }),
    );
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${w.name}` }, 'Delete');
    remove.addEventListener('click', () =>
      act(remove, async () => {
        if (!confirm(`Delete the webhook "${w.name}"? Posts to its URL will be dropped.`)) return;
        await api('DELETE', `/api/v1/webhooks/${seg(w.id)}`);
        say(`Webhook "${w.name}" deleted.`);
        await drawList(container);
      }),
    );
    const copy = h('button', { type: 'button', 'aria-label': `Copy the URL of ${w.name}` }, 'Copy URL');
    copy.addEventListener('click', () => void copyText(w.url, `The URL of "${w.name}"`));
    return [
      w.name,
      h('code', {}, w.topic),
      w.data_mode,
      badge(w.enabled ? 'on' : 'off'),
      h('code', { class: 'url' }, w.url),
      h('div', { class: 'actions' }, copy, toggle, remove),
    ];
  });
  replace(container, table('Webhooks of this shop', ['Name', 'Topic', 'Data', 'Enabled', 'URL', 'Actions'], rows));
}

/** Copies to the clipboard and says so (the Clipboard API needs a secure context: https or localhost). */
async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    say(`${what} was copied.`);
  } catch {
    say(`${what} could not be copied; select it and copy it by hand.`);
  }
}

async function drawCors(container: HTMLElement): Promise<void> {
  const { cors } = await api<{ cors: Cors }>('GET', '/api/v1/cors');
  const allowAll = h('input', { type: 'checkbox', id: 'cors-allow-all', checked: cors.allow_all });
  const origins = h('textarea', { id: 'cors-origins', rows: 4, spellcheck: 'false' });
  origins.value = cors.origins.join('\n');
  const submit = h('button', { type: 'submit' }, 'Save CORS settings');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'CORS settings' },
    h(
      'p',
      { class: 'muted' },
      "Browsers on the shop's own domains are always allowed. Add other origins here, one per line (https://host[:port]).",
    ),
    h('label', { class: 'check', for: 'cors-allow-all' }, allowAll, 'Allow every origin'),
    field('Additional origins', origins),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      const list = origins.value
        .split('\n')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      await api('PUT', '/api/v1/cors', { body: { allow_all: allowAll.checked, origins: list } });
      say('CORS settings saved.');
      await drawCors(container);
    });
  });
  replace(container, form);
}

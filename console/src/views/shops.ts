// The operator's view: shops (create, list) and a shop's apps (create, list). A new app's access
// token and signing secret are shown once, as the API returns them only once.
import { api, seg } from '../api';
import { field, h, replace, table, when } from '../dom';
import { act, heading, say, type ViewContext } from '../view';

interface Shop {
  id: string;
  myshopify_domain: string;
  primary_domain: string | null;
  cors_allow_all: boolean;
  created_at: string;
}
interface App {
  id: string;
  name: string;
  api_version: string;
  created_at: string;
}

/** #/shops */
export async function shopsView(ctx: ViewContext): Promise<void> {
  const { shops } = await api<{ shops: Shop[] }>('GET', '/api/v1/shops?limit=250');
  const domain = h('input', { required: true, autocomplete: 'off', placeholder: 'acme.myshopify.com' });
  const primary = h('input', { autocomplete: 'off', placeholder: 'acme.com' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create shop');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'New shop' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'New shop'),
      h('div', { class: 'row' }, field('myshopify domain', domain), field('Primary domain (optional)', primary)),
      h('div', { class: 'actions' }, submit),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      const body: Record<string, unknown> = { myshopify_domain: domain.value.trim() };
      if (primary.value.trim()) body['primary_domain'] = primary.value.trim();
      const { shop } = await api<{ shop: Shop }>('POST', '/api/v1/shops', { body });
      say(`Shop ${shop.myshopify_domain} created.`);
      location.hash = `#/shops/${seg(shop.id)}`;
    });
  });
  const rows = shops.map((s) => [
    h('a', { href: `#/shops/${seg(s.id)}` }, s.myshopify_domain),
    s.primary_domain ?? '—',
    s.cors_allow_all ? 'all origins' : 'listed origins',
    when(s.created_at),
  ]);
  replace(
    ctx.main,
    heading('Shops'),
    form,
    shops.length === 0
      ? h('p', { class: 'muted' }, 'No shops yet.')
      : table('Shops', ['Shop', 'Primary domain', 'CORS', 'Created'], rows),
  );
}

/** #/shops/{id} */
export async function shopView(ctx: ViewContext): Promise<void> {
  const id = ctx.params[0]!;
  const [{ shop }, { apps }] = await Promise.all([
    api<{ shop: Shop }>('GET', `/api/v1/shops/${seg(id)}`),
    api<{ apps: App[] }>('GET', `/api/v1/shops/${seg(id)}/apps?limit=250`),
  ]);
  const name = h('input', { required: true, autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create app');
  const created = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'New app' },
    h('fieldset', {}, h('legend', {}, 'New app'), field('Name', name), h('div', { class: 'actions' }, submit)),
    created,
  );
  const list = h('div', {});
  const drawApps = (items: App[]) =>
    replace(
      list,
      items.length === 0
        ? h('p', { class: 'muted' }, 'No apps yet.')
        : table(
            'Apps of this shop',
            ['Name', 'API version', 'Created'],
            items.map((a) => [a.name, a.api_version, when(a.created_at)]),
          ),
    );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      const out = await api<{ app: App; access_token: string; signing_secret: string }>(
        'POST',
        `/api/v1/shops/${seg(id)}/apps`,
        { body: { name: name.value } },
      );
      name.value = '';
      replace(
        created,
        h(
          'div',
          { class: 'card', role: 'region', 'aria-label': 'New app credentials' },
          h('p', {}, `App "${out.app.name}" created. Copy these now: they are not shown again.`),
          h(
            'dl',
            { class: 'meta' },
            h('dt', {}, 'Access token'),
            h('dd', {}, h('code', { id: 'new-app-token' }, out.access_token)),
            h('dt', {}, 'Signing secret'),
            h('dd', {}, h('code', { id: 'new-app-secret' }, out.signing_secret)),
          ),
        ),
      );
      say(`App "${out.app.name}" created.`);
      drawApps((await api<{ apps: App[] }>('GET', `/api/v1/shops/${seg(id)}/apps?limit=250`)).apps);
    });
  });
  replace(
    ctx.main,
    h('p', {}, h('a', { href: '#/shops' }, '← Shops')),
    heading(`Shop ${shop.myshopify_domain}`),
    h(
      'dl',
      { class: 'meta' },
      h('dt', {}, 'Id'),
      h('dd', {}, shop.id),
      h('dt', {}, 'Primary domain'),
      h('dd', {}, shop.primary_domain ?? '—'),
      h('dt', {}, 'CORS'),
      h('dd', {}, shop.cors_allow_all ? 'all origins' : 'listed origins'),
    ),
    h('h2', {}, 'Apps'),
    form,
    list,
  );
  drawApps(apps);
}

// The console's entry: sign-in, navigation by the URL hash (ids only, never the token), and the
// views for an app token (its shop) or the operator token (shops and apps).
import { api, ApiError, whenUnauthorized } from './api';
import { h, replace } from './dom';
import { clearSession, currentSession, saveSession, type SessionKind } from './session';
import { alertBox, heading, say, type View, type ViewContext } from './view';
import { cacheView } from './views/cache';
import { deliveriesView, deliveryView, subscriptionsView } from './views/deliveries';
import { eventsView, eventView } from './views/events';
import { shopsView, shopView } from './views/shops';
import { tasksView, taskView } from './views/tasks';
import { webhooksView } from './views/webhooks';

interface Section {
  name: string;
  label: string;
  list: View;
  detail?: View;
}

const APP_SECTIONS: Section[] = [
  { name: 'webhooks', label: 'Webhooks', list: webhooksView },
  { name: 'tasks', label: 'Tasks', list: tasksView, detail: taskView },
  { name: 'events', label: 'Events', list: eventsView, detail: eventView },
  { name: 'subscriptions', label: 'Subscriptions', list: subscriptionsView },
  { name: 'deliveries', label: 'Deliveries', list: deliveriesView, detail: deliveryView },
  { name: 'cache', label: 'Cache', list: cacheView },
];
const OPERATOR_SECTIONS: Section[] = [{ name: 'shops', label: 'Shops', list: shopsView, detail: shopView }];

const main = () => document.getElementById('main')!;
let leaveCurrent: () => void = () => {};

function sectionsFor(kind: SessionKind): Section[] {
  return kind === 'app' ? APP_SECTIONS : OPERATOR_SECTIONS;
}

/** Draws the view the hash names (or sign-in when signed out). */
async function route(): Promise<void> {
  leaveCurrent();
  const session = currentSession();
  if (!session) {
    drawChrome(null);
    signInView();
    return;
  }
  const sections = sectionsFor(session.kind);
  const [name, ...params] = location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map(decodeURIComponent);
  const section = sections.find((s) => s.name === name);
  if (!section) {
    location.replace(`#/${sections[0]!.name}`);
    return;
  }
  drawChrome(section.name);
  const view = params.length > 0 && section.detail ? section.detail : section.list;
  const timers: number[] = [];
  let gone = false;
  leaveCurrent = () => {
    gone = true;
    for (const t of timers) clearInterval(t);
  };
  const ctx: ViewContext = {
    main: main(),
    params,
    every(ms, fn) {
      let busy = false;
      const tick = async () => {
        if (busy || gone || document.hidden) return;
        busy = true;
        try {
          await fn();
        } finally {
          busy = false;
        }
      };
      timers.push(window.setInterval(() => void tick().catch(() => undefined), ms));
      return tick();
    },
    left: () => gone,
  };
  replace(main());
  // aria-busy tells assistive technology (and the browser tests) when the view has its data.
  main().setAttribute('aria-busy', 'true');
  try {
    await view(ctx);
  } catch (err) {
    if (!gone)
      replace(
        main(),
        heading(section.label),
        alertBox(err instanceof ApiError ? err.message : 'This view could not be shown.'),
      );
  }
  if (gone) return;
  main().setAttribute('aria-busy', 'false');
  document.getElementById('view-title')?.focus();
}

function drawChrome(active: string | null): void {
  const session = currentSession();
  const nav = document.getElementById('nav')!;
  const who = document.getElementById('who')!;
  if (!session) {
    replace(nav);
    replace(who);
    return;
  }
  replace(
    nav,
    h(
      'ul',
      {},
      sectionsFor(session.kind).map((s) =>
        h('li', {}, h('a', { href: `#/${s.name}`, 'aria-current': s.name === active ? 'page' : null }, s.label)),
      ),
    ),
  );
  replace(
    who,
    h('span', {}, session.kind === 'app' ? 'Signed in with an app token' : 'Signed in as the operator'),
    h('button', { type: 'button', onclick: signOut }, 'Sign out'),
  );
}

function signOut(): void {
  clearSession();
  say('Signed out.');
  navigate('');
}

/** Shows the view of `hash`: through hashchange when the hash changes, directly when it does not (never both, which would draw twice). */
function navigate(hash: string): void {
  const current = location.hash === '#' ? '' : location.hash;
  if (current === hash) void route();
  else location.hash = hash;
}

/** Sign-in: the token field has no name, so even a native form submission could not send it. */
function signInView(): void {
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const message = h('div', {});
  const form = h(
    'form',
    { class: 'stack signin', novalidate: true, 'aria-labelledby': 'view-title' },
    heading('Sign in to edgehook'),
    h(
      'p',
      {},
      'Use an app access token to manage its shop, or the operator token to manage shops and apps. The token is kept in this tab only and sent as a bearer header.',
    ),
    h('label', { for: 'token' }, h('span', {}, 'Token'), input),
    message,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn(input.value.trim(), message);
  });
  replace(main(), form);
  input.focus();
}

async function signIn(token: string, message: HTMLElement): Promise<void> {
  if (token === '') {
    replace(message, alertBox('Enter a token.'));
    return;
  }
  replace(message, h('p', { role: 'status' }, 'Checking the token…'));
  try {
    const kind = await tokenKind(token);
    if (kind === null) {
      replace(
        message,
        alertBox('This token was not accepted: it is neither an app access token nor the operator token.'),
      );
      return;
    }
    saveSession({ token, kind });
    say(kind === 'app' ? 'Signed in with an app token.' : 'Signed in as the operator.');
    navigate(kind === 'app' ? '#/webhooks' : '#/shops');
  } catch (err) {
    replace(message, alertBox(err instanceof ApiError ? err.message : 'Signing in failed.'));
  }
}

/** An app token reads its shop; the operator token is told that route needs an app (403). */
async function tokenKind(token: string): Promise<SessionKind | null> {
  try {
    await api('GET', '/api/v1/shop', { token });
    return 'app';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) return null;
    if (err.status !== 403) throw err;
  }
  await api('GET', '/api/v1/shops?limit=1', { token });
  return 'operator';
}

whenUnauthorized(() => {
  clearSession();
  say('The server no longer accepts this token; sign in again.');
  void route();
});
window.addEventListener('hashchange', () => void route());
void route();

// Tasks: the list (with a create form) and one task's page: edit the script, preview it against a
// sample event (actions, logs, errors; nothing performed), enable, disable, delete.
import { api, seg } from '../api';
import { badge, field, h, jsonBlock, replace, table, when } from '../dom';
import { act, alertBox, heading, parseJsonField, say, type ViewContext } from '../view';
import { EDGEHOOK_TOPICS, sampleData } from './edgehook-topics';

const SUBSCRIPTIONS_HINT = `One topic per line, optionally with a delay (+N.unit). Besides user/… and shopify/… topics: ${EDGEHOOK_TOPICS.join(', ')}.`;

interface Task {
  id: string;
  name: string;
  subscriptions: string;
  script: string;
  options: Record<string, unknown>;
  enabled: boolean;
  updated_at: string;
}
interface Preview {
  ok: boolean;
  actions: unknown[];
  logs: unknown[];
  errors: unknown[];
  error: string | null;
}

/** #/tasks */
export async function tasksView(ctx: ViewContext): Promise<void> {
  const { tasks } = await api<{ tasks: Task[] }>('GET', '/api/v1/tasks?limit=250');
  const rows = tasks.map((t) => [
    h('a', { href: `#/tasks/${seg(t.id)}` }, t.name),
    h('pre', {}, t.subscriptions),
    badge(t.enabled ? 'on' : 'off'),
    when(t.updated_at),
  ]);
  replace(
    ctx.main,
    heading('Tasks'),
    createForm(),
    tasks.length === 0
      ? h('p', { class: 'muted' }, 'No tasks yet.')
      : table('Tasks of this shop', ['Name', 'Subscriptions', 'Enabled', 'Updated'], rows),
  );
}

function createForm(): HTMLFormElement {
  const name = h('input', { required: true, autocomplete: 'off' });
  const subscriptions = h('textarea', { rows: 2, spellcheck: 'false', placeholder: 'user/contact/submit' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create task');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'New task' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'New task'),
      field('Name', name),
      field('Subscriptions', subscriptions, SUBSCRIPTIONS_HINT),
      h('div', { class: 'actions' }, submit),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(submit, async () => {
      const { task } = await api<{ task: Task }>('POST', '/api/v1/tasks', {
        body: { name: name.value, subscriptions: subscriptions.value, script: '{% log event.data %}' },
      });
      say(`Task "${task.name}" created.`);
      location.hash = `#/tasks/${seg(task.id)}`;
    });
  });
  return form;
}

/** #/tasks/{id} */
export async function taskView(ctx: ViewContext): Promise<void> {
  const id = ctx.params[0]!;
  const { task } = await api<{ task: Task }>('GET', `/api/v1/tasks/${seg(id)}`);
  const name = h('input', { required: true, autocomplete: 'off' });
  name.value = task.name;
  const subscriptions = h('textarea', { rows: 3, spellcheck: 'false' });
  subscriptions.value = task.subscriptions;
  const script = h('textarea', { class: 'script', spellcheck: 'false', id: 'task-script' });
  script.value = task.script;
  const options = h('textarea', { rows: 3, spellcheck: 'false' });
  options.value = JSON.stringify(task.options, null, 2);
  const state = h('p', {}, 'Enabled: ', badge(task.enabled ? 'on' : 'off'));
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save task');
  const toggle = h('button', { type: 'button' }, task.enabled ? 'Disable task' : 'Enable task');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete task');
  const saved = h('div', {});

  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Edit task' },
    field('Name', name),
    field('Subscriptions', subscriptions, SUBSCRIPTIONS_HINT),
    field('Script (Liquid)', script),
    field('Options (JSON object)', options),
    saved,
    h('div', { class: 'actions' }, save, toggle, remove),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(save, async () => {
      replace(saved);
      try {
        const body = {
          name: name.value,
          subscriptions: subscriptions.value,
          script: script.value,
          options: parseJsonField(options.value, 'Options') ?? {},
        };
        await api('PATCH', `/api/v1/tasks/${seg(id)}`, { body });
        say('Task saved.');
      } catch (err) {
        replace(saved, alertBox(err instanceof Error ? err.message : 'Saving failed.'));
      }
    });
  });
  toggle.addEventListener('click', () =>
    act(toggle, async () => {
      const { task: changed } = await api<{ task: Task }>(
        'POST',
        `/api/v1/tasks/${seg(id)}/${task.enabled ? 'disable' : 'enable'}`,
      );
      task.enabled = changed.enabled;
      replace(state, 'Enabled: ', badge(task.enabled ? 'on' : 'off'));
      replace(toggle, task.enabled ? 'Disable task' : 'Enable task');
      say(task.enabled ? 'Task enabled.' : 'Task disabled.');
    }),
  );
  remove.addEventListener('click', () =>
    act(remove, async () => {
      if (!confirm(`Delete the task "${task.name}"?`)) return;
      await api('DELETE', `/api/v1/tasks/${seg(id)}`);
      say('Task deleted.');
      location.hash = '#/tasks';
    }),
  );

  replace(
    ctx.main,
    h('p', {}, h('a', { href: '#/tasks' }, '← Tasks')),
    heading(`Task: ${task.name}`),
    state,
    form,
    previewPanel(id, task, script, options),
  );
}

function previewPanel(id: string, task: Task, script: HTMLTextAreaElement, options: HTMLTextAreaElement): HTMLElement {
  const firstTopic =
    task.subscriptions
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .find((t) => t) ?? 'user/preview/run';
  const topic = h('input', { autocomplete: 'off', id: 'preview-topic', list: 'preview-topics' });
  topic.value = firstTopic ?? '';
  const data = h('textarea', { rows: 5, spellcheck: 'false', id: 'preview-data' });
  const sampleFor = (name: string) => JSON.stringify(sampleData(name) ?? { name: 'Ada' }, null, 2);
  data.value = sampleFor(topic.value);
  // An edgehook topic brings its sample data, unless the data was edited by hand.
  let sample = data.value;
  topic.addEventListener('change', () => {
    if (data.value !== sample) return;
    data.value = sample = sampleFor(topic.value.trim());
  });
  const run = h('button', { type: 'submit' }, 'Preview');
  const out = h('div', { id: 'preview-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, 'Preview against a sample event'),
    h(
      'p',
      { class: 'muted' },
      'Renders the script in the editor above; nothing is performed or stored. The cache is read for real.',
    ),
    field('Event topic', topic),
    h('datalist', { id: 'preview-topics' }, ...EDGEHOOK_TOPICS.map((t) => h('option', { value: t }))),
    field('Event data (JSON)', data),
    h('div', { class: 'actions' }, run),
    out,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(run, async () => {
      try {
        const body = {
          event: { topic: topic.value.trim() || undefined, data: parseJsonField(data.value, 'Event data') ?? null },
          script: script.value,
          options: parseJsonField(options.value, 'Options') ?? {},
        };
        const { preview } = await api<{ preview: Preview }>('POST', `/api/v1/tasks/${seg(id)}/preview`, { body });
        replace(out, previewResult(preview));
      } catch (err) {
        replace(out, alertBox(err instanceof Error ? err.message : 'Preview failed.'));
      }
    });
  });
  return form;
}

function previewResult(preview: Preview): HTMLElement {
  return h(
    'section',
    { 'aria-label': 'Preview result', class: 'card' },
    h('p', {}, 'Outcome: ', badge(preview.ok && preview.errors.length === 0 ? 'succeeded' : 'failed')),
    preview.error ? alertBox(preview.error) : null,
    h('h3', {}, `Actions (${preview.actions.length})`),
    jsonBlock(preview.actions, 'Actions'),
    h('h3', {}, `Logs (${preview.logs.length})`),
    h(
      'ul',
      { class: 'logs' },
      preview.logs.map((l) => h('li', {}, h('pre', {}, typeof l === 'string' ? l : JSON.stringify(l)))),
    ),
    h('h3', {}, `Errors (${preview.errors.length})`),
    h(
      'ul',
      { class: 'errors' },
      preview.errors.map((e) =>
        h('li', { class: 'error' }, h('pre', {}, typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    ),
  );
}

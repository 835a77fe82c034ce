// What a view gets: where to draw, the hash's parameters, and helpers for messages and timers
// that end when the view is left.
import { ApiError } from './api';
import { h, replace, type Child } from './dom';

export interface ViewContext {
  /** The <main> element; the view owns its content. */
  main: HTMLElement;
  /** Hash segments after the view name (`#/events/ID` → ["ID"]). */
  params: string[];
  /**
   * Runs fn every ms while the view is shown (and the tab visible); the first run is immediate and
   * its promise is returned, so the view counts as loaded once it has drawn.
   */
  every(ms: number, fn: () => Promise<void>): Promise<void>;
  /** Whether the user has moved on (a late answer must not draw over the next view). */
  left(): boolean;
}

export type View = (ctx: ViewContext) => Promise<void>;

const status = () => document.getElementById('status')!;

/** A polite announcement in the status line (read by screen readers). */
export function say(message: string): void {
  replace(status(), message);
}

/** An error message for a failed call, in the status line and returned for inline use. */
export function failure(err: unknown): string {
  const message = err instanceof ApiError ? err.message : 'Something went wrong in the console.';
  replace(status(), h('span', { class: 'error' }, message));
  return message;
}

/** An inline alert (announced at once). */
export function alertBox(...children: Child[]): HTMLParagraphElement {
  return h('p', { class: 'error', role: 'alert' }, ...children);
}

/** Runs an action from a button: disables it meanwhile, reports failures. */
export async function act(button: HTMLButtonElement | null, fn: () => Promise<void>): Promise<void> {
  if (button) button.disabled = true;
  try {
    await fn();
  } catch (err) {
    failure(err);
  } finally {
    if (button) button.disabled = false;
  }
}

/** The page heading; focused on navigation so screen readers announce the new view. */
export function heading(text: string): HTMLHeadingElement {
  return h('h1', { tabindex: -1, id: 'view-title' }, text);
}

/** Parses JSON typed into a textarea, naming the field when it is not JSON. */
export function parseJsonField(text: string, name: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(0, `${name} is not valid JSON.`);
  }
}

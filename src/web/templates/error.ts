import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';

export interface PageLink {
  href: string;
  text: string;
}

export interface ErrorPageInput {
  /** The HTTP status the page is sent with; picks the default title and message. */
  status: number;
  /** A human title; defaults by status. Never an exception's message. */
  title?: string;
  /** What went wrong and what to do, for a person; defaults by status. Never internal detail. */
  message?: string;
  /** The request id, shown so the user can quote it to support. */
  requestId?: string;
  /** A way on, e.g. back to the form. */
  link?: PageLink;
}

const DEFAULTS: Record<number, { title: string; message: string }> = {
  400: { title: 'That request was not valid', message: 'Something in the request was missing or wrong.' },
  401: { title: 'Please sign in', message: 'You need to sign in to see this page.' },
  403: { title: 'Access denied', message: 'You are not allowed to do that.' },
  404: { title: 'Page not found', message: 'There is nothing at this address. Check it and try again.' },
  409: { title: 'That cannot be done now', message: 'The request conflicts with the current state.' },
  413: { title: 'Too much data', message: 'What was sent is larger than Canopy accepts.' },
  429: { title: 'Too many requests', message: 'Please wait a little and try again.' },
  503: {
    title: 'Canopy is unavailable',
    message: 'Canopy cannot answer right now. Please try again in a few minutes.',
  },
};
const FALLBACK_CLIENT = DEFAULTS[400]!;
const FALLBACK_SERVER = {
  title: 'Something went wrong',
  message: 'Canopy could not complete your request. Please try again later.',
};

export function errorDefaults(status: number): { title: string; message: string } {
  return DEFAULTS[status] ?? (status >= 500 ? FALLBACK_SERVER : FALLBACK_CLIENT);
}

/** An error page: what went wrong in human words and a reference to quote; no internals. */
export function errorPage(input: ErrorPageInput): Page {
  const defaults = errorDefaults(input.status);
  const title = input.title ?? defaults.title;
  const body = html`<h1>${title}</h1>
<p>${input.message ?? defaults.message}</p>
${input.link && html`<p><a href="${input.link.href}">${input.link.text}</a></p>`}
${
  input.requestId &&
  html`<p class="hint">Quote this reference if you contact support: <span class="reference">${input.requestId}</span></p>`
}`;
  return renderPage({ title, body });
}

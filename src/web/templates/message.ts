import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import type { PageLink } from './error.ts';

export interface MessagePageInput {
  title: string;
  /** Paragraphs of plain text. */
  paragraphs: readonly string[];
  /** A way on, shown as a button-styled link (e.g. "Sign in"). */
  link?: PageLink;
}

/** A simple notice, e.g. "Account created". */
export function messagePage(input: MessagePageInput): Page {
  const body = html`<h1>${input.title}</h1>
${input.paragraphs.map((p) => html`<p>${p}</p>`)}
${input.link && html`<div class="actions"><a class="button" href="${input.link.href}">${input.link.text}</a></div>`}`;
  return renderPage({ title: input.title, body });
}

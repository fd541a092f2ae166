import type { Response } from 'express';
import { STYLESHEET_HREF } from './assets.ts';
import { html, type SafeHtml } from './html.ts';
import { pageHeaders } from './security-headers.ts';

export const PRODUCT_NAME = 'Canopy';

/**
 * A rendered page: the document and every header it needs (security headers, CSP, content type,
 * no-store). Express sends it with `sendPage`; Koa (oidc-provider's pages) with
 * `ctx.status = …; ctx.set(page.headers); ctx.body = page.html`.
 */
export interface Page {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PageInput {
  /** The page's own title; the document title is "<title> · Canopy". */
  title: string;
  /** The content of `<main>`. */
  body: SafeHtml;
  /** URLs a form on this page may end up at after redirects (their origins join `form-action`). */
  formActionUrls?: readonly string[];
  /** Same-origin module scripts the page loads (the console); none by default. */
  scripts?: readonly string[];
  /** A full-width main (the console's tables and tree) instead of the narrow form column. */
  wide?: boolean;
}

/** The one layout: header with the product name, main, footer. No scripts, no inline styles. */
export function renderPage(input: PageInput): Page {
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${input.title} · ${PRODUCT_NAME}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_HREF}">
${(input.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>`)}
</head>
<body>
<header class="site-header">${PRODUCT_NAME}</header>
<main id="main"${input.wide && html` class="wide"`}>
${input.body}
</main>
<footer class="site-footer">${PRODUCT_NAME} · access management</footer>
</body>
</html>
`;
  return {
    html: document.toString(),
    headers: pageHeaders(input.formActionUrls, (input.scripts ?? []).length > 0),
  };
}

export function sendPage(res: Response, status: number, page: Page): void {
  res.status(status).set(page.headers).send(page.html);
}

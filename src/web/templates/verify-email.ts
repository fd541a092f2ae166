import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import { csrfInput } from './form.ts';

export interface VerifyEmailPageInput {
  /** `/verify-email/<secret>`: the form posts back to the link itself. */
  action: string;
  csrfToken: string;
  /** The address the link verifies. */
  email: string;
  organizationName: string;
}

/**
 * ACC-3: the page of a mailed verification link. Opening it spends nothing (mail scanners fetch
 * links); the button does.
 */
export function verifyEmailPage(input: VerifyEmailPageInput): Page {
  const title = 'Verify your email address';
  const body = html`<h1>${title}</h1>
<p>Confirm that <strong>${input.email}</strong> is your email address for your account in <strong>${input.organizationName}</strong>.</p>
<form method="post" action="${input.action}">
${csrfInput(input.csrfToken)}
<div class="actions"><button class="button" type="submit">Verify</button></div>
</form>`;
  return renderPage({ title, body });
}

/** After the button: verified, and where to sign in. */
export function emailVerifiedPage(input: { email: string; signInUrl: string }): Page {
  const title = 'Your email address is verified';
  const body = html`<h1>${title}</h1>
<p>Thank you: <strong>${input.email}</strong> is now verified. The apps you sign in to are told so.</p>
<div class="actions"><a class="button" href="${input.signInUrl}">Sign in</a></div>`;
  return renderPage({ title, body });
}

/** The refusals of the link's page: its form expired (403), or the link is dead (410). */
export const verifyEmailRefusals = {
  expired: {
    title: 'This page has expired',
    message:
      'For your security, this button works for a limited time and only in the browser that opened ' +
      'the page. Open the link from your email again.',
  },
  deadLinkMessage:
    'Verification links work once, for a day, and only the newest one sent works; a link also stops ' +
    'working when the account’s email address changes. Sign in and ask for a new link, or ask an ' +
    'administrator of your organization to send one.',
};

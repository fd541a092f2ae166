import { html, type SafeHtml } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import { errorSummary, field } from './form.ts';

// The device flow's pages (RFC 8628): the code a person types from their terminal, the confirmation
// that names what they are about to let in, and the end. The forms post to the provider, which
// checks its own `xsrf` token (bound to the browser's session), not Canopy's CSRF field.

/** The provider's form: where it posts and the anti-forgery token it checks. */
export interface DeviceForm {
  action: string;
  xsrf: string;
}

/** Why the code entered last could not be used. */
export type DeviceCodeProblem = 'missing' | 'not_found' | 'expired' | 'used' | 'failed';

const PROBLEMS: Record<DeviceCodeProblem, string> = {
  missing: 'Enter the code shown in your terminal.',
  // The stores forget a code once it expires, so an expired code usually lands here too.
  not_found:
    'That code is not right, or it has expired. Check it, or start again in your terminal for a new one.',
  expired: 'That code has expired. Start again in your terminal to get a new one.',
  used: 'That code has already been used. Start again in your terminal to get a new one.',
  failed: 'That did not work. Enter the code again; if it keeps failing, start again in your terminal.',
};

export interface DeviceCodePageInput {
  form: DeviceForm;
  /** The code typed last time, shown again to correct. */
  userCode?: string;
  problem?: DeviceCodeProblem;
}

function xsrfInput(form: DeviceForm): SafeHtml {
  return html`<input type="hidden" name="xsrf" value="${form.xsrf}">`;
}

/** Code entry: the person types the code their terminal shows. */
export function deviceCodePage(input: DeviceCodePageInput): Page {
  const problem = input.problem ? PROBLEMS[input.problem] : undefined;
  const body = html`${errorSummary(problem ? [{ field: 'user_code', message: problem }] : [])}
<h1>Sign in a device</h1>
<form method="post" action="${input.form.action}">
${xsrfInput(input.form)}
${field({
  name: 'user_code',
  label: 'Code',
  type: 'text',
  autocomplete: 'off',
  hint: 'The code shown in your terminal, for example BCDF-GHJK.',
  value: input.userCode,
  error: problem,
  attributes: html`autocapitalize="characters" spellcheck="false" maxlength="32"${problem ? '' : html` autofocus`}`,
})}
<div class="actions"><button class="button" type="submit">Continue</button></div>
</form>`;
  return renderPage({ title: `${problem ? 'Error: ' : ''}Sign in a device`, body });
}

export interface DeviceConfirmPageInput {
  form: DeviceForm;
  appName: string;
  /** The org the device asks to sign in to, when known. */
  orgName?: string;
  /** The code as the terminal shows it (e.g. `BCDF-GHJK`). */
  userCode: string;
  /** When the code was requested. */
  requestedAt?: Date;
  /** The network the code was requested from, coarsened (e.g. `203.0.113.x`); never the full address. */
  origin?: string;
  /** Now, by Canopy's clock: the page says how long ago the code was requested. */
  now: Date;
}

// Times in UTC: the page has no script to learn the person's time zone, and says which zone it uses.
const UTC_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

/** "just now", "1 minute ago", "7 minutes ago", "2 hours ago". */
export function timeAgo(then: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - then.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.floor(minutes / 60);
  return `${hours} hour${hours === 1 ? '' : 's'} ago`;
}

function requestFacts(input: DeviceConfirmPageInput): SafeHtml {
  const when = input.requestedAt
    ? html`<dt>Requested</dt>
<dd>${timeAgo(input.requestedAt, input.now)} (<time datetime="${input.requestedAt.toISOString()}">${UTC_TIME.format(input.requestedAt)} UTC</time>)</dd>`
    : '';
  const from = input.origin
    ? html`<dt>From network</dt>
<dd class="reference">${input.origin}</dd>`
    : '';
  return html`<dl class="facts">
<dt>App</dt>
<dd>${input.appName}</dd>
${
  input.orgName
    ? html`<dt>Organization</dt>
<dd>${input.orgName}</dd>`
    : ''
}
${when}
${from}
<dt>Code</dt>
<dd class="reference">${input.userCode}</dd>
</dl>`;
}

/**
 * The confirmation: what will get access, where, when and from where it was asked for, and the
 * code to compare. A link with the code in it can be sent by someone else (phishing), hence the
 * facts to check, the warning and the explicit Continue.
 */
export function deviceConfirmPage(input: DeviceConfirmPageInput): Page {
  const where = input.orgName ? html` to <strong>${input.orgName}</strong>` : '';
  const body = html`<h1>Sign in ${input.appName}?</h1>
<p><strong>${input.appName}</strong> asks to sign in${where} as you. Check the request:</p>
${requestFacts(input)}
<div class="notice" role="note">
<p><strong>Continue only if you started this sign-in yourself, on a device you control.</strong>
The time and network above should be yours, and your device should show this same code.
Otherwise cancel: if someone sent you this link or asked you for a code, continuing would give them access to your account.</p>
</div>
<form method="post" action="${input.form.action}">
${xsrfInput(input.form)}
<input type="hidden" name="user_code" value="${input.userCode}">
<div class="actions">
<button class="button" type="submit" name="confirm" value="yes">Continue</button>
<button class="button button-secondary" type="submit" name="abort" value="yes">Cancel</button>
</div>
</form>`;
  return renderPage({ title: `Sign in ${input.appName}?`, body });
}

export interface DeviceDonePageInput {
  outcome: 'signed_in' | 'cancelled';
  appName?: string;
}

/** The end: signed in (go back to the terminal), or cancelled (nothing was granted). */
export function deviceDonePage(input: DeviceDonePageInput): Page {
  const app = input.appName ?? 'the device';
  const body =
    input.outcome === 'signed_in'
      ? html`<h1>You are signed in</h1>
<p>${app} is signed in as you. Go back to your terminal; you can close this window.</p>`
      : html`<h1>Sign-in cancelled</h1>
<p>Nothing was granted to ${app}. You can close this window.</p>`;
  return renderPage({ title: input.outcome === 'signed_in' ? 'Signed in' : 'Sign-in cancelled', body });
}

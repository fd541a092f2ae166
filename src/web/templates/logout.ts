import { html, raw } from '../html.ts';
import { type Page, PRODUCT_NAME, renderPage } from '../page.ts';

export interface LogoutPageInput {
  /**
   * oidc-provider's logout form, as `logoutSource(ctx, form)` receives it: trusted markup such as
   * `<form id="op.logoutForm" method="post" action="…"><input type="hidden" name="xsrf" value="…"/></form>`.
   * Inserted as is; never pass anything built from user input.
   */
  providerForm: string;
  /** The app that asked for the sign-out, when known. */
  appName?: string;
  /** Where the provider redirects after the form (the client's post-logout redirect URI): joined to form-action. */
  formActionUrls?: readonly string[];
}

/** RP-initiated logout confirmation: both buttons submit the provider's form (`logout=yes` signs out). */
export function logoutPage(input: LogoutPageInput): Page {
  const body = html`<h1>Sign out of ${PRODUCT_NAME}?</h1>
${input.appName ? html`<p><strong>${input.appName}</strong> asked to sign you out.</p>` : ''}
<p>Signing out ends your ${PRODUCT_NAME} session in this browser for every app.</p>
${raw(input.providerForm)}
<div class="actions">
<button class="button" type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button class="button button-secondary" type="submit" form="op.logoutForm">Stay signed in</button>
</div>`;
  return renderPage({ title: 'Sign out?', body, formActionUrls: input.formActionUrls });
}

export interface LogoutDonePageInput {
  /** The app the user signed out of, when known. */
  appName?: string;
}

/** Shown after a sign-out that has nowhere to return to (oidc-provider's `postLogoutSuccessSource`). */
export function logoutDonePage(input: LogoutDonePageInput = {}): Page {
  const body = html`<h1>You have signed out</h1>
<p>${input.appName ? html`You have signed out of ${PRODUCT_NAME} and ${input.appName}.` : html`You have signed out of ${PRODUCT_NAME}.`}</p>
<p>You can close this window.</p>`;
  return renderPage({ title: 'Signed out', body });
}

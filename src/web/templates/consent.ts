import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import { csrfInput } from './form.ts';

export interface ConsentPageInput {
  appName: string;
  /** The org the user belongs to (their master org's name). */
  orgName: string;
  /** The requested scopes, as in the authorization request. */
  scopes: readonly string[];
  /** Names of the nodes that `org:<id>` scopes name; an id missing here shows as "an organization". */
  nodeNames?: Readonly<Record<string, string>>;
  /** Where "Allow" and "Deny" post (e.g. `/interaction/<uid>/consent` and `/interaction/<uid>/abort`). */
  allowAction: string;
  denyAction: string;
  csrfToken: string;
  /** URLs the answer may end up at after redirects (the client's redirect URI): joined to form-action. */
  formActionUrls?: readonly string[];
}

const SCOPE_WORDS: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Stay signed in',
};

/** A scope in human words: `org:<id>` → "Your roles in <node name>". */
export function describeScope(scope: string, nodeNames: Readonly<Record<string, string>> = {}): string {
  const known = SCOPE_WORDS[scope];
  if (known) return known;
  if (scope.startsWith('org:')) {
    const id = scope.slice(4);
    return `Your roles in ${Object.hasOwn(nodeNames, id) ? nodeNames[id] : 'an organization'}`;
  }
  return `Use “${scope}”`;
}

/** The consent page (first-party apps skip it): what the app asks for, Allow or Deny. */
export function consentPage(input: ConsentPageInput): Page {
  const items = [...new Set(input.scopes)].map((s) => html`<li>${describeScope(s, input.nodeNames)}</li>`);
  const body = html`<h1>${input.appName} wants to access your ${input.orgName} account</h1>
<p>Allowing this lets <strong>${input.appName}</strong>:</p>
<ul class="scopes">${items}</ul>
<p>You can sign out of the app at any time.</p>
<div class="actions">
<form method="post" action="${input.allowAction}">
${csrfInput(input.csrfToken)}
<button class="button" type="submit" name="decision" value="allow" autofocus>Allow</button>
</form>
<form method="post" action="${input.denyAction}">
${csrfInput(input.csrfToken)}
<button class="button button-secondary" type="submit" name="decision" value="deny">Deny</button>
</form>
</div>`;
  return renderPage({ title: `Allow ${input.appName}?`, body, formActionUrls: input.formActionUrls });
}

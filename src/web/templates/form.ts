import { CSRF_FIELD } from '../csrf.ts';
import { html, type SafeHtml } from '../html.ts';

/** An error shown in the summary; `field` is the id of the input it links to (none: a general error). */
export interface FormError {
  field?: string;
  message: string;
}

export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** The error summary at the top of a form: focused on load, each error linking to its field. */
export function errorSummary(errors: readonly FormError[]): SafeHtml {
  if (errors.length === 0) return html``;
  const items = errors.map((e) =>
    e.field ? html`<li><a href="#${e.field}">${e.message}</a></li>` : html`<li>${e.message}</li>`,
  );
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus>
<h2 id="error-summary-title">There is a problem</h2>
<ul>${items}</ul>
</div>`;
}

export interface FieldInput {
  name: string;
  label: string;
  type: 'text' | 'email' | 'password';
  autocomplete: string;
  /** Shown again after an error; never pass a password. */
  value?: string;
  hint?: string;
  error?: string;
  /** More attributes, from a template (e.g. `html\`minlength="12"\``). */
  attributes?: SafeHtml;
}

/** A labelled input with its hint and error, wired for screen readers (aria-describedby, aria-invalid). */
export function field(input: FieldInput): SafeHtml {
  const { name, hint, error } = input;
  const described = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ');
  const value = input.type === 'password' ? undefined : input.value;
  return html`<div class="field${error ? ' field-invalid' : ''}">
<label for="${name}">${input.label}</label>
${hint && html`<p class="hint" id="${name}-hint">${hint}</p>`}
${error && html`<p class="field-error" id="${name}-error"><span class="visually-hidden">Error:</span> ${error}</p>`}
<input id="${name}" name="${name}" type="${input.type}" autocomplete="${input.autocomplete}" required${
    value ? html` value="${value}"` : ''
  }${described && html` aria-describedby="${described}"`}${error && html` aria-invalid="true"`}${
    input.attributes && html` ${input.attributes}`
  }>
</div>`;
}

// DOM building for the console. Text always goes in as text nodes and attributes through
// setAttribute, never as HTML, so nothing the API returns can become markup. No inline styles:
// the CSP forbids them; classes from canopy.css do the presentation. Dialogs, notices and the
// buttons that use them are in dialogs.js.

let ids = 0;
/** A document-unique id for label/description wiring. */
export const uid = (prefix = 'c') => `${prefix}-${++ids}`;

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

/** Replaces a node's children, by the same rules as `h` (false, null and undefined are skipped). */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A description list of `[term, value]` rows (`<dl class="facts">`). */
export function factList(rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
}

/** `h('button', { class: 'button', onclick }, 'Save')` → an element. */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

/** The same for SVG elements (charts). */
export function svg(tag, props, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

/** The view's heading: focused after navigation so keyboard and screen-reader users land on it. */
export function heading(text, level = 1) {
  return h(
    `h${level}`,
    { tabindex: level === 1 ? '-1' : undefined, class: level === 1 ? 'view-title' : undefined },
    text,
  );
}

/** A paragraph of muted help text. */
export const hint = (text) => h('p', { class: 'hint' }, text);

/** The API's message (and request id) for an error, as a block with role=alert. */
export function errorBox(err) {
  const box = h(
    'div',
    { class: 'error-summary', role: 'alert' },
    h('p', { class: 'error-message' }, err.message),
  );
  if (err.fields?.length) {
    box.append(
      h(
        'ul',
        null,
        err.fields.map((f) => h('li', null, `${f.field}: ${f.problem}`)),
      ),
    );
  }
  if (err.requestId) box.append(h('p', { class: 'hint' }, `Request id ${err.requestId}`));
  return box;
}

/**
 * A labelled form control. `type`: text (default), email, number, password, textarea, select,
 * checkbox, date, url. `options` for select: `[{ value, label }]`. The error slot is filled by
 * `form()` from the API's field problems.
 */
export function field({ label, name, type = 'text', value, hint: help, options = [], required, ...rest }) {
  const id = uid('f');
  const helpId = help ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ');
  let control;
  if (type === 'textarea') {
    control = h('textarea', { id, name, required, 'aria-describedby': describedBy, rows: 4, ...rest });
    control.value = value ?? '';
  } else if (type === 'select') {
    control = h(
      'select',
      { id, name, required, 'aria-describedby': describedBy, ...rest },
      options.map((o) =>
        h('option', { value: o.value, selected: String(o.value) === String(value ?? '') }, o.label),
      ),
    );
  } else if (type === 'checkbox') {
    control = h('input', {
      id,
      name,
      type,
      checked: Boolean(value),
      'aria-describedby': describedBy,
      ...rest,
    });
    return h(
      'div',
      { class: 'field field-checkbox', 'data-field': name },
      control,
      h('label', { for: id }, label),
      help && h('p', { class: 'hint', id: helpId }, help),
      h('p', { class: 'field-error', id: errorId, hidden: true }),
    );
  } else {
    control = h('input', {
      id,
      name,
      type,
      value: value ?? '',
      required,
      'aria-describedby': describedBy,
      ...rest,
    });
  }
  return h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    help && h('p', { class: 'hint', id: helpId }, help),
    h('p', { class: 'field-error', id: errorId, hidden: true }),
    control,
  );
}

/** The values of a form's named controls: numbers as numbers, checkboxes as booleans. */
export function formValues(formEl) {
  const values = {};
  for (const control of formEl.elements) {
    if (!control.name || control.disabled) continue;
    if (control.type === 'checkbox') values[control.name] = control.checked;
    else if (control.type === 'number')
      values[control.name] = control.value === '' ? undefined : Number(control.value);
    else if (control.tagName === 'SELECT' && control.multiple)
      values[control.name] = [...control.selectedOptions].map((o) => o.value);
    else values[control.name] = control.value;
  }
  return values;
}

/** Clears, then shows, field problems; answers the problems no field of this form could show. */
function showFieldErrors(formEl, problems) {
  for (const wrapper of formEl.querySelectorAll('[data-field]')) {
    wrapper.classList.remove('field-invalid');
    const slot = wrapper.querySelector('.field-error');
    slot.hidden = true;
    slot.textContent = '';
    wrapper.querySelector('input,select,textarea')?.removeAttribute('aria-invalid');
  }
  const unplaced = [];
  let first;
  for (const { field: name, problem } of problems) {
    // `settings.issuer` and `emails.2` land on the closest control the form has.
    const parts = String(name).split('.');
    let wrapper;
    while (parts.length && !wrapper) {
      wrapper = formEl.querySelector(`[data-field="${CSS.escape(parts.join('.'))}"]`);
      parts.pop();
    }
    if (!wrapper) {
      unplaced.push({ field: name, problem });
      continue;
    }
    const slot = wrapper.querySelector('.field-error');
    const label = wrapper.querySelector('label, legend')?.textContent ?? name;
    slot.textContent = slot.textContent ? `${slot.textContent}; ${problem}` : `${label} ${problem}`;
    slot.hidden = false;
    wrapper.classList.add('field-invalid');
    const control = wrapper.querySelector('input,select,textarea');
    control?.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  first?.focus();
  return unplaced;
}

/**
 * Runs `work` while `button` shows that something is happening (disabled, aria-busy, its label
 * replaced by `busyLabel`), and restores it afterwards.
 */
export async function busy(button, work, busyLabel = 'Working…') {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyLabel;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

/**
 * A form that submits through `onSubmit(values)`. While it runs the submit button is busy; an
 * ApiError's field problems appear next to their fields, its message on top; on success
 * `onSubmit`'s own effects (re-render, notice) take over.
 */
export function form({ fields, submit, onSubmit, secondary, className = 'stack' }) {
  const status = h('div', { class: 'form-status' });
  const submitButton = h('button', { class: 'button', type: 'submit' }, submit);
  const el = h(
    'form',
    { class: className, novalidate: true },
    status,
    fields,
    h('div', { class: 'actions' }, submitButton, secondary),
  );
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    showFieldErrors(el, []);
    try {
      await busy(submitButton, () => onSubmit(formValues(el), el));
    } catch (err) {
      const problems = err.fields ?? [];
      const unplaced = showFieldErrors(el, problems);
      // When every problem sits beside its field, the API's summary ("Invalid input — emails.1: …")
      // would only repeat them in its own terms; the top says where to look instead.
      const message =
        problems.length > 0 && unplaced.length === 0
          ? `Check ${problems.length === 1 ? 'the field' : 'the fields'} marked below.`
          : err.message;
      status.replaceChildren(errorBox({ ...err, message, fields: unplaced }));
      if (!problems.length || unplaced.length) status.querySelector('[role=alert]')?.focus();
    }
  });
  return el;
}

/**
 * "Copy" for `text`, saying "Copied." in a live region beside it (a notice would sit behind an open
 * modal dialog, unread). Where the clipboard is missing (insecure origin) or refused, `source`, the
 * element showing the text, is selected for a manual copy. `label` is the button's accessible name
 * ("Copy the secret"); without it the button is named "Copy". `small` and `primary` style it.
 */
export function copyButton(text, label, { source, small = true, primary = false } = {}) {
  const status = h('span', { class: 'copy-status', role: 'status' });
  const classes = ['button'];
  if (!primary) classes.push('button-secondary');
  if (small) classes.push('button-small');
  const button = h('button', { class: classes.join(' '), type: 'button', 'aria-label': label }, 'Copy');
  button.addEventListener('click', async () => {
    clearTimeout(status.timer);
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = 'Copied.';
      status.timer = setTimeout(() => (status.textContent = ''), 4000);
    } catch {
      if (source) window.getSelection()?.selectAllChildren(source);
      status.textContent = source
        ? 'Copying was not allowed here: the text is selected, press Ctrl+C (⌘C on a Mac).'
        : 'Copying was not allowed here: select the text and copy it yourself.';
    }
  });
  return h('span', { class: 'copy' }, button, status);
}

/**
 * A table. `columns`: `[{ label, cell(row) → node|string }]`; `empty` shown when there are no
 * rows. Wrapped so it scrolls sideways on a phone instead of breaking the layout.
 */
export function table({ caption, columns, rows, empty = 'Nothing here yet.' }) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption ?? 'Table' },
    h(
      'table',
      null,
      caption && h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) => h('th', { scope: 'col' }, c.label)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((row) =>
          h(
            'tr',
            null,
            columns.map((c) => h('td', null, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/** Previous/next for `{ total, limit, offset }` pages; `go(offset)` loads another page. */
export function pager({ total, limit, offset }, go) {
  if (total <= limit) return null;
  const last = Math.min(offset + limit, total);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h(
      'button',
      {
        class: 'button button-secondary',
        type: 'button',
        disabled: offset === 0,
        onclick: () => go(Math.max(0, offset - limit)),
      },
      'Previous',
    ),
    h('span', null, `${offset + 1}–${last} of ${total}`),
    h(
      'button',
      {
        class: 'button button-secondary',
        type: 'button',
        disabled: last >= total,
        onclick: () => go(offset + limit),
      },
      'Next',
    ),
  );
}

/** A date-time for people, in their own locale and time zone. */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** A code-like value (ids, client ids, URLs) that wraps anywhere. */
export const code = (text) => h('code', { class: 'reference' }, text);

/** A section with a heading and content, the unit views are built from. */
export const section = (title, ...content) => h('section', { class: 'panel' }, heading(title, 2), content);

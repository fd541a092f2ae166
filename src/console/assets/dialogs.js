// Dialogs and notices for the console: a native modal <dialog>, the confirmation asked before
// something that cannot be undone, the live-region notice (which goes into an open dialog, the page
// behind it being inert), and the buttons that confirm first and report a failure as a notice —
// kept apart from dom.js's element building, which needs none of this.
import { busy, errorBox, fill, h, uid } from './dom.js';

/**
 * A short message in a live region: `info` (status) or `error` (alert). While a modal dialog is
 * open the rest of the page is inert and hidden from assistive technology, so the message goes
 * into the dialog instead.
 */
export function notify(message, kind = 'info') {
  const dialogs = document.querySelectorAll('dialog[open]');
  const host = dialogs[dialogs.length - 1];
  const region = host ? host.querySelector(':scope > .notices') : document.getElementById('notices');
  if (!region) return;
  // The regions exist, empty, before anything is said in them: screen readers then announce it.
  const item = h(
    'p',
    { class: `notice-item notice-${kind}`, role: kind === 'error' ? 'alert' : undefined },
    message,
  );
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 12_000 : 6_000);
}

/**
 * A modal dialog (native <dialog>: focus moves in, Escape closes, focus returns). `content` is
 * built with the dialog's `close` function. Answers `{ close, dialog }`.
 */
export function openDialog(title, content) {
  const titleId = uid('d');
  const opener = document.activeElement;
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
  const close = () => dialog.close();
  dialog.addEventListener('close', () => {
    // A notice given just before closing (e.g. "Saved.") outlives the dialog on the page.
    const pending = dialog.querySelector(':scope > .notices')?.children ?? [];
    document.getElementById('notices')?.append(...pending);
    dialog.remove();
    if (opener instanceof HTMLElement) opener.focus();
  });
  fill(dialog, [
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      h(
        'button',
        {
          class: 'button button-secondary button-small',
          type: 'button',
          onclick: close,
          'aria-label': 'Close',
        },
        '×',
      ),
    ),
    typeof content === 'function' ? content(close) : content,
    h('div', { class: 'notices', role: 'status' }),
  ]);
  document.body.append(dialog);
  dialog.showModal();
  // Start where the work is: the first field, not the close button in the heading.
  dialog.querySelector('input:not([type=hidden]):not([disabled]), select, textarea')?.focus();
  return { close, dialog };
}

/** Asks before something that cannot be undone; answers true when confirmed. */
export function confirmAction(title, message, confirmLabel = 'Delete', dismissLabel = 'Cancel') {
  return new Promise((resolve) => {
    let confirmed = false;
    const { dialog } = openDialog(title, (close) =>
      h(
        'div',
        null,
        h('p', null, message),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              class: 'button button-danger',
              type: 'button',
              onclick: () => {
                confirmed = true;
                close();
              },
            },
            confirmLabel,
          ),
          closeButton(close, dismissLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => resolve(confirmed));
  });
}

/**
 * A button that runs `work` with a busy state. With `confirm` (`{ title, message, confirmLabel }`,
 * the label by default) it asks first, before going busy, so focus comes back to a live button. A
 * failure shows the API's message in `status` (an element near the button, e.g. `.form-status`:
 * it stays until the next try) or, without one, as a notice.
 */
export function statusButton(
  label,
  work,
  { status, confirm, secondary = true, danger = false, busyLabel } = {},
) {
  const classes = ['button'];
  if (secondary) classes.push('button-secondary');
  if (danger) classes.push('button-danger');
  const button = h('button', { class: classes.join(' '), type: 'button' }, label);
  button.addEventListener('click', async () => {
    const asked =
      confirm &&
      confirmAction(confirm.title, confirm.message, confirm.confirmLabel ?? label, confirm.dismissLabel);
    if (asked && !(await asked)) return;
    status?.replaceChildren();
    try {
      await busy(button, work, busyLabel);
    } catch (err) {
      if (status) status.replaceChildren(errorBox(err));
      else notify(err.message, 'error');
    }
  });
  return button;
}

/** A button that runs `action` with a busy state and shows a failure in `notify` (statusButton without a status). */
export const actionButton = (label, action, { secondary = true, danger = false, busyLabel, confirm } = {}) =>
  statusButton(label, action, { secondary, danger, busyLabel, confirm });

/** A secondary button that closes a dialog: "Cancel", or `label` ("Done"). */
export const closeButton = (close, label = 'Cancel') =>
  h('button', { class: 'button button-secondary', type: 'button', onclick: close }, label);

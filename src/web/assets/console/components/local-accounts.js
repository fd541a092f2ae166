// FED-5: whether the master org still creates local accounts (invitations, INV-4), and the switch.
// Shown on the master's settings and on the identity providers page. The API refuses to turn it off
// while no enabled provider could let anyone in; its message shows.
import { api } from '../api.js';
import { busy, confirmAction, errorBox, h, hint, notify, section } from '../dom.js';

export async function localAccountsPanel(ctx) {
  const path = `/organizations/${encodeURIComponent(ctx.masterId)}/local-accounts`;
  let state;
  try {
    state = await api.get(path);
  } catch (err) {
    return section('Local accounts', errorBox(err));
  }
  const on = state.localAccountsEnabled;
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const toggle = h(
    'button',
    { class: on ? 'button button-secondary button-danger' : 'button button-secondary', type: 'button' },
    on ? 'Turn off local accounts' : 'Turn on local accounts',
  );
  toggle.addEventListener('click', async () => {
    status.replaceChildren();
    if (
      on &&
      !(await confirmAction(
        'Turn off local accounts?',
        'New users will arrive only through an identity provider, and invitations can no longer be sent. ' +
          'People who already have a local account keep signing in with it.',
        'Turn off',
      ))
    )
      return;
    try {
      await busy(toggle, () => api.put(path, { enabled: !on }), 'Saving…');
      notify(on ? 'Local accounts are turned off.' : 'Local accounts are turned on.');
      ctx.rerender();
    } catch (err) {
      status.replaceChildren(errorBox(err));
      status.querySelector('[role=alert]')?.focus?.();
    }
  });
  return section(
    'Local accounts',
    h(
      'p',
      null,
      h('strong', null, on ? 'Allowed. ' : 'Turned off. '),
      on
        ? 'People can be invited and get a Canopy username and password.'
        : 'New users arrive only through an identity provider, and invitations cannot be sent. ' +
            'People who already have a local account keep signing in with it.',
    ),
    hint(
      'Local accounts can be turned off only while an identity provider is enabled; while they are off, ' +
        'the last enabled provider cannot be disabled or deleted, so nobody is locked out.',
    ),
    status,
    h('div', { class: 'actions' }, toggle),
  );
}

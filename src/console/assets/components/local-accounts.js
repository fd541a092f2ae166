// FED-5: whether the master org still creates local accounts (invitations, INV-4), and the switch.
// Shown on the master's settings and on the identity providers page. The API refuses to turn it off
// while no enabled provider could let anyone in; its message shows.
import { api } from '../api.js';
import { notify, statusButton } from '../dialogs.js';
import { errorBox, h, hint, section } from '../dom.js';

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
  const toggle = statusButton(
    on ? 'Turn off local accounts' : 'Turn on local accounts',
    async () => {
      await api.put(path, { enabled: !on });
      notify(on ? 'Local accounts are turned off.' : 'Local accounts are turned on.');
      ctx.rerender();
    },
    {
      status,
      danger: on,
      busyLabel: 'Saving…',
      confirm: on && {
        title: 'Turn off local accounts?',
        message:
          'New users will arrive only through an identity provider, and invitations can no longer be sent. ' +
          'People who already have a local account keep signing in with it.',
        confirmLabel: 'Turn off',
      },
    },
  );
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

// Sessions (ACC-5): where a person is signed in — browser and device, the network it came from,
// when it started and was last active, the apps signed in through it — with "End" on each. Shared by
// the own-profile page and an administrator's view of a user (users.manage on the master).
import { api } from '../api.js';
import { notify, statusButton } from '../dialogs.js';
import { errorBox, h, hint, table, when } from '../dom.js';

const SHORT_AGENT = 60;

/** "Firefox 133 on Windows 10", from what the server read of the user agent, or the agent itself, shortened. */
export function browserText(session) {
  const on = [session.os, session.deviceType && session.deviceType !== 'desktop' ? session.deviceType : null]
    .filter(Boolean)
    .join(', ');
  if (session.browser) return on ? `${session.browser} on ${on}` : session.browser;
  const agent = session.userAgent ?? '';
  if (!agent) return 'Unknown browser';
  return agent.length > SHORT_AGENT ? `${agent.slice(0, SHORT_AGENT)}…` : agent;
}

const appsText = (session) =>
  session.apps.length ? session.apps.map((a) => a.name ?? a.clientId).join(', ') : '—';

/**
 * The panel "Sessions" over `path` (`/me/sessions` or `/users/<id>/sessions`). `self`: the person's
 * own, where ending the current session signs them out here too. Answers `{ node, reload }` at
 * once and fills the node as the API answers.
 */
export function sessionsPanel({ path, self }) {
  const status = h('div', { class: 'form-status' });
  const body = h('div', null, hint('Loading…'));
  let latest = 0; // an older answer that arrives late is dropped

  async function reload() {
    const mine = ++latest;
    let content;
    try {
      const { items } = await api.get(path);
      content = render(items);
    } catch (err) {
      content = [errorBox(err)];
    }
    if (mine === latest) body.replaceChildren(...content);
  }

  function endButton(session) {
    const what = `${browserText(session)}, started ${when(session.startedAt)}`;
    const message = session.current
      ? 'This is the session you are using now: you will be signed out here.'
      : self
        ? 'That browser is signed out at once, with every app signed in through it.'
        : 'They are signed out of that browser at once, with every app signed in through it.';
    const button = statusButton(
      'End',
      async () => {
        await api.del(`${path}/${encodeURIComponent(session.id)}`);
        notify('Session ended.');
        if (session.current) window.location.reload();
        else await reload();
      },
      { status, danger: true, confirm: { title: 'End session', message, confirmLabel: 'End session' } },
    );
    button.setAttribute('aria-label', `End session: ${what}`);
    return button;
  }

  function render(items) {
    const columns = [
      {
        label: 'Browser and device',
        cell: (s) => [
          browserText(s),
          s.current ? [' ', h('span', { class: 'badge' }, 'This session')] : null,
        ],
      },
      { label: 'Network', cell: (s) => s.sourceNetwork ?? '—' },
      { label: 'Started', cell: (s) => when(s.startedAt) },
      { label: 'Last active', cell: (s) => when(s.lastActiveAt) },
      { label: 'Apps', cell: appsText },
      { label: 'Actions', cell: endButton },
    ];
    return [
      table({
        caption: 'Sessions',
        columns,
        rows: items,
        empty: self ? 'You are signed in nowhere else.' : 'No active session.',
      }),
    ];
  }

  const node = h(
    'section',
    { class: 'panel' },
    h('h2', null, 'Sessions'),
    hint(
      self
        ? 'Where you are signed in. Ending a session signs that browser out at once, with every app signed in through it.'
        : 'Where this user is signed in. Ending a session signs them out of that browser at once, with every app signed in through it.',
    ),
    status,
    body,
  );
  void reload();
  return { node, reload };
}

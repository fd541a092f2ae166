import { createHash } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import type { InvitationService, InvitationSummary } from '../modules/invitations/index.ts';
import { AppError, type ErrorCode } from '../platform/errors/index.ts';
import { formBody } from '../platform/http/body-parsers.ts';
import { type BrowserIdCookie, ensureBrowserId, readBrowserId } from '../web/browser-id.ts';
import { CSRF_FIELD, type Csrf } from '../web/csrf.ts';
import { htmlErrorHandler } from '../web/error-pages.ts';
import { sendPage } from '../web/page.ts';
import { errorPage } from '../web/templates/error.ts';
import {
  INVITATION_LABELS,
  type InvitationField,
  type InvitationPageInput,
  invitationPage,
} from '../web/templates/invitation.ts';
import { messagePage } from '../web/templates/message.ts';
import { passwordPolicyProblem } from '../web/templates/password-rules.ts';

export interface InvitationPageDeps {
  invitations: Pick<InvitationService, 'describe' | 'accept'>;
  csrf: Csrf;
  browserCookie: BrowserIdCookie;
  publicUrl: string;
}

/** The CSRF token is bound to this browser and to this one link (by a digest of its token). */
const purposeFor = (browserId: string, token: string) =>
  `invitation:${browserId}:${createHash('sha256').update(token).digest('base64url')}`;

/** INV-3: why a link no longer works, in words for the invitee. Nothing is created behind these. */
const DEAD_LINKS: Partial<Record<ErrorCode, { title: string; message: string }>> = {
  'invitation.not_found': {
    title: 'Invitation not found',
    message:
      'This invitation link is not valid. Check that you opened the whole link from the email, ' +
      'or ask the person who invited you for a new invitation.',
  },
  'invitation.expired': {
    title: 'This invitation has expired',
    message: 'Invitation links work for a limited time. Ask the person who invited you to send it again.',
  },
  'invitation.used': {
    title: 'This invitation has already been used',
    message:
      'An account was already created with this link, and it works only once. Sign in at your ' +
      "organization's sign-in address, or ask for a new invitation.",
  },
  'invitation.cancelled': {
    title: 'This invitation was cancelled',
    message: 'It no longer works. Ask the person who invited you for a new invitation if you need one.',
  },
  'invitation.local_accounts_disabled': {
    title: 'Invitations are closed',
    message:
      "This organization no longer creates accounts here: sign in through your company's identity provider.",
  },
};

function sendDeadLink(req: Request, res: Response, err: AppError): void {
  const text = DEAD_LINKS[err.code]!;
  sendPage(res, err.status, errorPage({ status: err.status, ...text, requestId: req.id }));
}

const isDeadLink = (err: unknown): err is AppError => err instanceof AppError && err.code in DEAD_LINKS;

/**
 * `/invitations/:token`: GET shows what the link invites to and the account form; POST checks the
 * CSRF token (bound to the browser-id cookie and the link), the password confirmation, then
 * accepts. A dead link answers 404 (unknown) or 410 (expired, used, cancelled) and creates nothing.
 * The request log names the route pattern only, never the token.
 */
export function invitationPageRoutes(deps: InvitationPageDeps): Router {
  const router = Router();
  const form = (
    req: Request,
    res: Response,
    status: number,
    token: string,
    summary: InvitationSummary,
    more: Partial<InvitationPageInput> = {},
  ) => {
    const browserId = ensureBrowserId(req, res, deps.browserCookie);
    const csrfToken = deps.csrf.issue(purposeFor(browserId, token));
    sendPage(res, status, invitationPage({ token, csrfToken, ...summary, ...more }));
  };

  router.get('/invitations/:token', async (req, res) => {
    const token = String(req.params.token);
    try {
      form(req, res, 200, token, await deps.invitations.describe(token));
    } catch (err) {
      if (!isDeadLink(err)) throw err;
      sendDeadLink(req, res, err);
    }
  });

  router.post('/invitations/:token', formBody({ limit: '16kb' }), async (req, res) => {
    const token = String(req.params.token);
    const body: Record<string, unknown> = req.body ?? {};
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const browserId = readBrowserId(req, deps.browserCookie);
    const check = browserId
      ? deps.csrf.verify(body[CSRF_FIELD], purposeFor(browserId, token))
      : ({ ok: false, reason: 'missing' } as const);
    if (!check.ok) {
      req.log.warn(
        { reason: check.reason, hasBrowserId: !!browserId },
        'invitation refused: CSRF check failed',
      );
      sendPage(res, 403, csrfFailurePage(req.id));
      return;
    }
    const values = { username: text('username'), name: text('name') };
    // A problem with the form shows the form again, unless the link died meanwhile.
    const again = async (status: number, more: Partial<InvitationPageInput>) =>
      form(req, res, status, token, await deps.invitations.describe(token), { values, ...more });
    try {
      if (text('password') !== text('passwordConfirm')) {
        await again(400, { errors: { passwordConfirm: 'does not match the password' } });
        return;
      }
      try {
        const done = await deps.invitations.accept(token, { ...values, password: text('password') }, req.id);
        sendPage(res, 201, acceptedPage(deps.publicUrl, done.organization, done.user.username));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const passwordProblem = passwordPolicyProblem(err);
        if (err.code === 'user.username_taken') {
          await again(409, { errors: { username: 'is already taken here' } });
        } else if (passwordProblem) {
          await again(err.status, { errors: { password: passwordProblem } }); // ACC-4: the rule that failed
        } else if (err.code === 'request.invalid_input') {
          await again(400, fieldErrors(err.details));
        } else {
          throw err;
        }
      }
    } catch (err) {
      if (!isDeadLink(err)) throw err;
      sendDeadLink(req, res, err);
    }
  });
  router.use(htmlErrorHandler());
  return router;
}

/** The service's `{ fields: [{ field, problem }] }` as the form's errors; others go on top. */
function fieldErrors(details: Record<string, unknown> | undefined): Partial<InvitationPageInput> {
  const fields = Array.isArray(details?.fields)
    ? (details.fields as { field: string; problem: string }[])
    : [];
  const errors: Partial<Record<InvitationField, string>> = {};
  let general = fields.length === 0;
  for (const { field, problem } of fields) {
    if (Object.hasOwn(INVITATION_LABELS, field)) errors[field as InvitationField] ??= problem;
    else general = true;
  }
  return {
    errors,
    generalErrors: general ? ['Something in the form was not right. Check it and try again.'] : [],
  };
}

function csrfFailurePage(requestId: string) {
  return errorPage({
    status: 403,
    title: 'This form has expired',
    message:
      'For your security, forms work for a limited time and only in the browser that opened them. ' +
      'Open the invitation link from your email again and resubmit the form.',
    requestId,
  });
}

function acceptedPage(publicUrl: string, organization: { name: string; domain: string }, username: string) {
  const path = `/login/${encodeURIComponent(organization.domain)}`;
  return messagePage({
    title: 'Your account is ready',
    paragraphs: [
      `Welcome to ${organization.name}. Your username is ${username}.`,
      `Sign in at ${publicUrl}${path}. Bookmark it: it is your organization's sign-in address.`,
    ],
    link: { href: path, text: 'Sign in' },
  });
}

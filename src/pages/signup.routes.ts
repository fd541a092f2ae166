import { type Request, type Response, Router } from 'express';
import type { SignupMode, SignupResult } from '../modules/organizations/index.ts';
import type { RequestContext } from '../platform/context.ts';
import { AppError } from '../platform/errors/index.ts';
import { formBody } from '../platform/http/body-parsers.ts';
import type { RequestThrottle } from '../platform/throttle/index.ts';
import { type BrowserIdCookie, ensureBrowserId, readBrowserId } from '../web/browser-id.ts';
import { CSRF_FIELD, type Csrf } from '../web/csrf.ts';
import { sendPage } from '../web/page.ts';
import { errorPage } from '../web/templates/error.ts';
import { messagePage } from '../web/templates/message.ts';
import { passwordPolicyProblem } from '../web/templates/password-rules.ts';
import {
  SIGNUP_LABELS,
  type SignupField,
  type SignupPageInput,
  signupClosedPage,
  signupPage,
} from '../web/templates/signup.ts';

export interface SignupRouteDeps {
  publicUrl: string;
  signUp(ctx: RequestContext, input: unknown): Promise<SignupResult>;
  /** Per source address; over the limit the error page answers 429. */
  throttle: RequestThrottle;
  csrf: Csrf;
  browserCookie: BrowserIdCookie;
  /** SIGNUP_MODE (SEC-9): when closed, both methods answer a page saying so, and nothing is counted. */
  signupMode: SignupMode;
}

const signupPurpose = (browserId: string) => `signup:${browserId}`;
const TEXT_FIELDS = ['companyName', 'domain', 'name', 'username', 'email'] as const;

/**
 * ORG-1 in a browser. GET shows the form; POST checks the CSRF token (bound to the browser-id
 * cookie), then the password confirmation, then calls the sign-up service. Success answers 201
 * with a page giving the org's sign-in address (`/login/<domain>`) and a "Sign in" link to it.
 */
export function signupRoutes(deps: SignupRouteDeps): Router {
  const router = Router();
  if (deps.signupMode === 'closed') {
    const closed = (_req: Request, res: Response) =>
      sendPage(res, 403, signupClosedPage({ publicUrl: deps.publicUrl }));
    router.get('/signup', closed);
    router.post('/signup', closed);
    return router;
  }
  const form = (req: Request, res: Response, status: number, more: Partial<SignupPageInput> = {}) => {
    const browserId = ensureBrowserId(req, res, deps.browserCookie);
    const csrfToken = deps.csrf.issue(signupPurpose(browserId));
    sendPage(res, status, signupPage({ csrfToken, publicUrl: deps.publicUrl, ...more }));
  };

  router.get('/signup', (req, res) => form(req, res, 200));

  router.post('/signup', formBody({ limit: '16kb' }), async (req, res) => {
    const body: Record<string, unknown> = req.body ?? {};
    const browserId = readBrowserId(req, deps.browserCookie);
    const check = browserId
      ? deps.csrf.verify(body[CSRF_FIELD], signupPurpose(browserId))
      : ({ ok: false, reason: 'missing' } as const);
    if (!check.ok) {
      req.log.warn({ reason: check.reason, hasBrowserId: !!browserId }, 'sign-up refused: CSRF check failed');
      sendPage(res, 403, csrfFailurePage(req.id));
      return;
    }
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const values = Object.fromEntries(TEXT_FIELDS.map((name) => [name, text(name)]));
    if (text('password') !== text('passwordConfirm')) {
      form(req, res, 400, { values, errors: { passwordConfirm: 'does not match the password' } });
      return;
    }
    await deps.throttle(res, `ip:${req.ip ?? ''}`);
    try {
      const ctx: RequestContext = { actor: { kind: 'anonymous' }, requestId: req.id };
      const result = await deps.signUp(ctx, { ...values, password: text('password') });
      sendPage(res, 201, createdPage(deps.publicUrl, result));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const passwordProblem = passwordPolicyProblem(err);
      if (err.code === 'organization.domain_taken') {
        form(req, res, 409, { values, errors: { domain: 'is already in use by another company' } });
      } else if (passwordProblem) {
        form(req, res, err.status, { values, errors: { password: passwordProblem } }); // ACC-4: the rule that failed
      } else if (err.code === 'request.invalid_input') {
        form(req, res, 400, { values, ...fieldErrors(err.details) });
      } else {
        throw err;
      }
    }
  });
  return router;
}

/** The service's `{ fields: [{ field, problem }] }` as the form's errors; unknown fields go on top. */
function fieldErrors(details: Record<string, unknown> | undefined): Partial<SignupPageInput> {
  const fields = Array.isArray(details?.fields)
    ? (details.fields as { field: string; problem: string }[])
    : [];
  const errors: Partial<Record<SignupField, string>> = {};
  const generalErrors: string[] = [];
  for (const { field, problem } of fields) {
    if (Object.hasOwn(SIGNUP_LABELS, field)) errors[field as SignupField] ??= problem;
    else generalErrors.push('Something in the form was not right. Check it and try again.');
  }
  if (fields.length === 0) generalErrors.push('Something in the form was not right. Check it and try again.');
  return { errors, generalErrors: [...new Set(generalErrors)] };
}

function csrfFailurePage(requestId: string) {
  return errorPage({
    status: 403,
    title: 'This form has expired',
    message:
      'For your security, forms work for a limited time and only in the browser that opened them. ' +
      'Open the form again and resubmit it.',
    requestId,
    link: { href: '/signup', text: 'Open the sign-up form again' },
  });
}

function createdPage(publicUrl: string, result: SignupResult) {
  const domain = result.organization.domain ?? '';
  const path = `/login/${encodeURIComponent(domain)}`;
  return messagePage({
    title: 'Account created',
    paragraphs: [
      `${result.organization.name} is ready, with you as its administrator.`,
      `Your company's sign-in address is ${publicUrl}${path}. Bookmark it and share it with your colleagues.`,
      // ACC-3: the founder's verification mail went out with the sign-up.
      `We sent a link to ${result.user.email}: open it to verify your email address.`,
    ],
    link: { href: path, text: 'Sign in' },
  });
}

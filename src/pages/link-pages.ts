import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppError } from '../platform/errors/index.ts';
import { type BrowserIdCookie, ensureBrowserId, readBrowserId } from '../web/browser-id.ts';
import { CSRF_FIELD, type Csrf } from '../web/csrf.ts';
import { sendPage } from '../web/page.ts';
import { errorPage } from '../web/templates/error.ts';

export interface LinkPageDeps {
  csrf: Csrf;
  browserCookie: BrowserIdCookie;
}

/** What tells one kind of mailed link's pages apart: their CSRF purpose and their words. */
export interface LinkPageKind {
  /** The CSRF purpose's prefix: a token of one kind of page is worthless on another. */
  purpose: string;
  /** What the POST does, for the log line of a refused CSRF check ("password reset"). */
  action: string;
  /** The 403 page of a refused CSRF check. */
  expired: { title: string; message: string };
  /** The 410 page's message: how long such a link works, and how to get another. */
  deadLinkMessage: string;
}

/**
 * The pages of a mailed single-use link (`/<kind>/:secret`: password reset, email verification).
 * GET shows a form and spends nothing; its CSRF token is bound to the browser-id cookie and to this
 * one link (by a digest of its secret, never the secret), and the POST spends the link only once
 * the token checks. A used, expired, replaced or unknown link (`account.link_invalid`) answers 410.
 */
export function linkPages(deps: LinkPageDeps, kind: LinkPageKind) {
  const purposeFor = (browserId: string, secret: string) =>
    `${kind.purpose}:${browserId}:${createHash('sha256').update(secret).digest('base64url')}`;

  function sendDeadLink(req: Request, res: Response): void {
    const page = errorPage({
      status: 410,
      title: 'This link no longer works',
      message: kind.deadLinkMessage,
      requestId: req.id,
    });
    sendPage(res, 410, page);
  }

  return {
    /** A CSRF token for the page's form (setting the browser-id cookie when there is none yet). */
    csrfToken(req: Request, res: Response, secret: string): string {
      return deps.csrf.issue(purposeFor(ensureBrowserId(req, res, deps.browserCookie), secret));
    },

    /** The POST's CSRF check: true if it passed; otherwise the 403 page is sent and it is logged. */
    csrfChecked(req: Request, res: Response, secret: string, body: Record<string, unknown>): boolean {
      const browserId = readBrowserId(req, deps.browserCookie);
      const check = browserId
        ? deps.csrf.verify(body[CSRF_FIELD], purposeFor(browserId, secret))
        : ({ ok: false, reason: 'missing' } as const);
      if (check.ok) return true;
      req.log.warn(
        { reason: check.reason, hasBrowserId: !!browserId },
        `${kind.action} refused: CSRF check failed`,
      );
      const page = errorPage({ status: 403, ...kind.expired, requestId: req.id });
      sendPage(res, 403, page);
      return false;
    },

    /** Runs a page's work; a dead link (`account.link_invalid`) answers 410, any other error goes on. */
    async orDeadLink(req: Request, res: Response, work: () => Promise<void>): Promise<void> {
      try {
        await work();
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'account.link_invalid')) throw err;
        sendDeadLink(req, res);
      }
    },
  };
}

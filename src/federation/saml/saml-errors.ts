import { SignInRefused } from '../federated-sign-in.ts';

// Why a SAML response was refused. The lead maps these to Canopy's error page and audit reasons;
// the person sees one generic message, the audit log and the operator see `reason` and `detail`.

export const SAML_REJECT_REASONS = [
  'malformed', // not base64, not a SAML Response, missing parts
  'too_large', // over the decoded size cap, refused before parsing
  'doctype', // a DOCTYPE or ENTITY declaration, refused before parsing
  'signature', // missing, wrong key, wrapped, or a required signature absent
  'issuer', // Issuer is not this provider's entity id
  'audience', // AudienceRestriction does not name this provider's SP entity id
  'destination', // Response Destination is not this provider's ACS URL
  'recipient', // no bearer SubjectConfirmation for this ACS URL
  'expired', // NotOnOrAfter passed (beyond the allowed skew)
  'not_yet_valid', // NotBefore or IssueInstant in the future (beyond the allowed skew)
  'replay', // this assertion id was accepted before
  'in_response_to', // no outstanding request of this provider with that id, or ids disagree
  'unsolicited', // IdP-initiated while this provider does not allow it
  'status', // the IdP answered with an error status
  'subject', // no NameID, or an empty one
] as const;
export type SamlRejectReason = (typeof SAML_REJECT_REASONS)[number];

/** A response Canopy refuses. `detail` is for logs only (it may quote the library's message). */
export class SamlRejected extends Error {
  readonly reason: SamlRejectReason;
  readonly detail: string;

  constructor(reason: SamlRejectReason, detail: string) {
    super(`SAML response refused: ${reason}`);
    this.name = 'SamlRejected';
    this.reason = reason;
    this.detail = detail;
  }
}

/** node-saml throws plain Errors; their messages are stable enough to sort into our reasons. */
export function rejectionFromLibrary(err: unknown): SamlRejected {
  if (err instanceof SamlRejected) return err;
  const message = err instanceof Error ? err.message : String(err);
  const rules: [RegExp, SamlRejectReason][] = [
    [/audience/i, 'audience'],
    [/InResponseTo/i, 'in_response_to'],
    [/SAML provider returned|status/i, 'status'],
    [/signature|signed|ID cannot refer|Referenced node/i, 'signature'],
    [
      /not a valid XML|Non-whitespace|unclosed|Missing SAML assertion|decryption|EncryptedAssertion/i,
      'malformed',
    ],
  ];
  const reason = rules.find(([pattern]) => pattern.test(message))?.[1] ?? 'malformed';
  return new SamlRejected(reason, message);
}

/** The IdP said no (status), or the answer is stale or replayed; anything else failed a check. */
export function refusalOf(err: unknown): unknown {
  if (!(err instanceof SamlRejected)) return err;
  const stale: SamlRejectReason[] = ['replay', 'in_response_to', 'expired'];
  const reason =
    err.reason === 'status' ? 'provider_error' : stale.includes(err.reason) ? 'expired' : 'invalid_response';
  return new SignInRefused(reason, `${err.reason}: ${err.detail}`);
}

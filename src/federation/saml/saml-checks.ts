import { SamlRejected } from './saml-errors.ts';
import { type AssertionFacts, instant, type ResponseFacts } from './saml-xml.ts';

// The protocol checks node-saml does not make (E-reliability §2.2), as pure functions of facts read
// from verified bytes. Time is Canopy's injected clock: node-saml's own timestamp checks use the
// system clock and are switched off (acceptedClockSkewMs -1), so these are the only ones.

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export interface CheckContext {
  entityId: string;
  acsUrl: string;
  nowMs: number;
  skewMs: number;
}

/** NotBefore / NotOnOrAfter against now, allowing the skew on both sides (as node-saml would). */
function timeError(ctx: CheckContext, notBefore: string | null, notOnOrAfter: string | null, what: string) {
  const from = instant(notBefore, `${what} NotBefore`);
  const until = instant(notOnOrAfter, `${what} NotOnOrAfter`);
  if (from !== null && ctx.nowMs + ctx.skewMs < from)
    return new SamlRejected('not_yet_valid', `${what} NotBefore`);
  if (until !== null && ctx.nowMs - ctx.skewMs >= until)
    return new SamlRejected('expired', `${what} NotOnOrAfter`);
  return null;
}

/**
 * Status, Destination and Issuer of the Response. A signed Response must name our ACS as its
 * Destination (SAML bindings §3.5.5.2 makes it mandatory then); an unsigned one may omit it, but a
 * Destination that is present must match either way (the binding that counts is the signed
 * Recipient, checked on the assertion).
 */
export function checkResponse(facts: ResponseFacts, ctx: CheckContext & { signed: boolean }): void {
  if (facts.statusCode !== SUCCESS)
    throw new SamlRejected('status', `status ${facts.statusCode ?? 'missing'}`);
  if (facts.destination === null ? ctx.signed : facts.destination !== ctx.acsUrl) {
    throw new SamlRejected('destination', `Destination ${facts.destination ?? 'missing'}`);
  }
  if (facts.issuer !== null && facts.issuer !== ctx.entityId) {
    throw new SamlRejected('issuer', `Response Issuer ${facts.issuer}`);
  }
}

/**
 * The signed assertion: issuer, subject, a bearer confirmation for our ACS within its time, the
 * conditions' time, an authentication statement. Returns what the caller needs next: the NameID,
 * the InResponseTo the signature covers, and until when the assertion could be accepted (the
 * replay cache keeps its id that long).
 */
export function checkAssertion(facts: AssertionFacts, ctx: CheckContext) {
  if (!facts.id) throw new SamlRejected('malformed', 'assertion without ID');
  if (facts.issuer !== ctx.entityId)
    throw new SamlRejected('issuer', `Assertion Issuer ${facts.issuer ?? 'missing'}`);
  const issued = instant(facts.issueInstant, 'IssueInstant');
  if (issued === null) throw new SamlRejected('malformed', 'assertion without IssueInstant');
  if (issued > ctx.nowMs + ctx.skewMs) throw new SamlRejected('not_yet_valid', 'IssueInstant in the future');
  if (facts.authnStatements < 1) throw new SamlRejected('malformed', 'no AuthnStatement');

  const [nameId, ...more] = facts.nameIds;
  if (!nameId || more.length > 0 || nameId.value.trim() === '') {
    throw new SamlRejected('subject', `${facts.nameIds.length} NameID, or an empty one`);
  }

  if (!facts.conditions) throw new SamlRejected('malformed', 'no Conditions');
  const conditionsError = timeError(
    ctx,
    facts.conditions.notBefore,
    facts.conditions.notOnOrAfter,
    'Conditions',
  );
  if (conditionsError) throw conditionsError;

  // Bearer confirmations for this ACS; the bearer profile requires their NotOnOrAfter.
  const ours = facts.confirmations.filter((c) => c.method === BEARER && c.recipient === ctx.acsUrl);
  if (ours.length === 0) throw new SamlRejected('recipient', 'no bearer SubjectConfirmation for this ACS');
  const timely = ours.filter(
    (c) => c.notOnOrAfter !== null && !timeError(ctx, c.notBefore, c.notOnOrAfter, 'SubjectConfirmationData'),
  );
  if (timely.length === 0) {
    const first = ours[0]!;
    throw (
      timeError(ctx, first.notBefore, first.notOnOrAfter, 'SubjectConfirmationData') ??
      new SamlRejected('malformed', 'SubjectConfirmationData without NotOnOrAfter')
    );
  }
  const inResponseTo = [...new Set(timely.map((c) => c.inResponseTo))];
  if (inResponseTo.length > 1)
    throw new SamlRejected('in_response_to', 'confirmations disagree on InResponseTo');

  const ends = [facts.conditions.notOnOrAfter, ...timely.map((c) => c.notOnOrAfter)]
    .map((v) => instant(v, 'NotOnOrAfter'))
    .filter((v): v is number => v !== null);
  return {
    id: facts.id,
    nameId: { value: nameId.value, format: nameId.format },
    inResponseTo: inResponseTo[0] ?? null,
    acceptableUntilMs: Math.min(...ends) + ctx.skewMs,
  };
}

/**
 * The request this answers, from signed data only (node-saml #433): the signed confirmation's
 * InResponseTo, else the signed Response's. A Response-level InResponseTo that no signature covers
 * and that the assertion does not repeat is refused rather than trusted.
 */
export function resolveInResponseTo(input: {
  raw: string | null;
  signedResponse: string | null;
  fromAssertion: string | null;
}): string | null {
  const { raw, signedResponse, fromAssertion } = input;
  if (fromAssertion !== null && signedResponse !== null && fromAssertion !== signedResponse) {
    throw new SamlRejected('in_response_to', 'Response and assertion name different requests');
  }
  const effective = fromAssertion ?? signedResponse;
  if (raw !== null && raw !== effective) {
    throw new SamlRejected('in_response_to', 'InResponseTo outside the signature');
  }
  return effective;
}

// The contract between the protocol flows (OIDC, SAML) and the account step (FED-3, FED-4): what a
// provider vouched for, already validated by the protocol side. Nothing here is trusted to say
// *which* provider it came from: the flow record that started the sign-in says that.

/** A person as an identity provider asserted them, after every protocol check passed. */
export interface ExternalProfile {
  /**
   * The stable id at that provider: the OIDC `sub`, or the SAML NameID prefixed with its format
   * (`<format>|<value>`). Never an email address chosen by the person.
   */
  subject: string;
  /** Preferred username (configured claim or attribute); the account step makes it unique. */
  username?: string;
  email?: string;
  /**
   * ACC-3: true only when the provider asserted that `email` is verified (an OIDC provider's
   * `email_verified: true`). SAML has no standard way to say so: its profiles never set it.
   */
  emailVerified?: boolean;
  name?: string;
  /** Group names, exact strings, deduplicated; empty when the provider sent none. */
  groups: string[];
}

/** At most this many groups are read from one sign-in; more is refused as implausible. */
export const MAX_GROUPS = 500;

/** Groups from a claim or attribute value: a string or an array of strings, anything else ignored. */
export function groupsFrom(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const groups = [...new Set(list.filter((g): g is string => typeof g === 'string' && g.length > 0))];
  if (groups.length > MAX_GROUPS) throw new RangeError(`more than ${MAX_GROUPS} groups`);
  return groups;
}

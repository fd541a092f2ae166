import { AppError } from '../../platform/errors/index.ts';
import type { TenantDirectory } from '../roles/index.ts';
import type { CheckedPassword } from '../users/index.ts';

/** ACC-4: the minimum length a master org may choose, and the one that holds until it does. */
export const PASSWORD_MIN_LENGTH = { min: 8, max: 64, default: 12 } as const;
/** A cap that keeps hashing (argon2) cheap to refuse; not a rule anyone should meet. */
export const PASSWORD_MAX_LENGTH = 256;
/**
 * The least strength accepted, on zxcvbn's scale of 0 to 4. 3 means an estimated 10^8 guesses or
 * more: safe against online guessing, and a real effort offline against a slow hash like argon2.
 */
export const PASSWORD_MIN_STRENGTH = 3;
/**
 * The estimator sees at most this many characters: zxcvbn's cost grows with the length, and anonymous
 * pages (sign-up, invitations) reach it. A password whose first 100 characters are strong is strong.
 */
export const ESTIMATED_PREFIX_LENGTH = 100;

/** What the pages show before submission and what the checker enforces. */
export interface PasswordRules {
  minLength: number;
  maxLength: number;
  minStrength: number;
}

export type PasswordRule = 'too_short' | 'too_long' | 'common' | 'guessable' | 'personal';

/** The account whose password it is. */
export interface PasswordPerson {
  username: string;
  email: string;
  name?: string;
}

/** The company: the master org (or, at sign-up, the one being registered). */
export interface PasswordCompany {
  name: string;
  domain: string | null;
}

export interface PasswordContext {
  minLength: number;
  person: PasswordPerson;
  company: PasswordCompany;
}

export const rulesFor = (minLength: number | null | undefined): PasswordRules => ({
  minLength: minLength ?? PASSWORD_MIN_LENGTH.default,
  maxLength: PASSWORD_MAX_LENGTH,
  minStrength: PASSWORD_MIN_STRENGTH,
});

/** The rules where no org has chosen (sign-up, before the company exists). */
export const DEFAULT_PASSWORD_RULES: Readonly<PasswordRules> = Object.freeze(rulesFor(null));

/**
 * A refusal whose message names the rule: "Password must be at least 12 characters". `fields` has
 * the shape of input errors, so forms (console, command line) show it at the password as any other.
 */
function refuse(rule: PasswordRule, problem: string, more: Record<string, unknown> = {}): AppError {
  return new AppError(
    'password.policy',
    { field: 'password', rule, problem, ...more, fields: [{ field: 'password', problem }] },
    { message: `Password ${problem}` },
  );
}

/** Parts shorter than this are too common as substrings to refuse a password for. */
const MIN_PART = 3;

/** What a password must not contain: the person's and the company's names, each as typed and as letters and digits only. */
function personalParts(person: PasswordPerson, company: PasswordCompany): string[] {
  const email = person.email.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  const [local, emailDomain] = at > 0 ? [email.slice(0, at), email.slice(at + 1)] : [email, ''];
  // The email's domain, and its name below the top level ("acme" of "acme.example").
  const domainLabels = emailDomain.split('.');
  const parts = [
    person.username,
    email,
    local,
    emailDomain,
    domainLabels.length > 1 ? (domainLabels.at(-2) ?? '') : '',
    company.name,
    company.domain ?? '',
  ];
  const forms = parts.flatMap((p) => {
    const lower = p.trim().toLowerCase();
    return [lower, lower.replace(/[^\p{L}\p{N}]/gu, '')];
  });
  return [...new Set(forms.filter((p) => [...p].length >= MIN_PART))];
}

/** What zxcvbn is told the person might use: the parts above, and each word of the names. */
function userInputs(context: PasswordContext): string[] {
  const words = [context.person.name ?? '', context.company.name, context.person.email]
    .flatMap((text) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u))
    .filter((w) => w.length >= MIN_PART);
  return [...new Set([...personalParts(context.person, context.company), ...words])];
}

interface Estimate {
  score: number;
  /** The whole password is one entry of the common-password list (with l33t, case or reversal). */
  common: boolean;
}
type Estimator = (password: string, inputs: string[]) => Estimate;

let estimator: Promise<Estimator> | undefined;

/**
 * zxcvbn and its dictionaries (a few MB) load on the first check, not at process start; the options
 * are set once. A failed load is tried again on the next check.
 */
function loadEstimator(): Promise<Estimator> {
  estimator ??= (async (): Promise<Estimator> => {
    const [core, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    const zxcvbn = new core.ZxcvbnFactory({
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    });
    return (password, inputs) => {
      const result = zxcvbn.check(password, inputs);
      // One match of the common-password list (`passwords-common`), as it is or with case, l33t or
      // reversal changes, that covers the whole password.
      const [only, ...rest] = result.sequence;
      const common =
        rest.length === 0 &&
        only?.pattern === 'dictionary' &&
        String(only.dictionaryName).startsWith('passwords') &&
        only.i === 0 &&
        only.j === password.length - 1;
      return { score: result.score, common };
    };
  })().catch((err: unknown) => {
    estimator = undefined;
    throw err;
  });
  return estimator;
}

/**
 * The one password check (ACC-4), pure but for loading the estimator: length first (cheap, and
 * zxcvbn's cost grows with length), then the personal parts, then the common-password list and the
 * strength estimate. Throws `password.policy` naming the first rule that fails. What it answers is
 * the one kind of password the users service hashes and stores (ACC-4: none is set without this).
 */
export async function checkPassword(password: string, context: PasswordContext): Promise<CheckedPassword> {
  const length = [...password].length;
  const { minLength } = context;
  if (length < minLength)
    throw refuse('too_short', `must be at least ${minLength} characters`, { minLength });
  if (password.length > PASSWORD_MAX_LENGTH)
    throw refuse('too_long', `must be at most ${PASSWORD_MAX_LENGTH} characters`, {
      maxLength: PASSWORD_MAX_LENGTH,
    });
  const lower = password.toLowerCase();
  const letters = lower.replace(/[^\p{L}\p{N}]/gu, '');
  const personal = personalParts(context.person, context.company);
  if (personal.some((part) => lower.includes(part) || letters.includes(part)))
    throw refuse('personal', 'must not contain your username, email, company name or domain');
  // The personal parts were looked for in the whole password; the estimate reads its start only.
  const prefix = [...password].slice(0, ESTIMATED_PREFIX_LENGTH).join('');
  const estimate = (await loadEstimator())(prefix, userInputs(context));
  if (estimate.common) throw refuse('common', 'is one of the most common passwords');
  if (estimate.score < PASSWORD_MIN_STRENGTH)
    throw refuse(
      'guessable',
      `is too easy to guess (strength ${estimate.score} of 4; at least ${PASSWORD_MIN_STRENGTH} required)`,
      { strength: estimate.score, minStrength: PASSWORD_MIN_STRENGTH },
    );
  return password as CheckedPassword;
}

/**
 * The password policy of every place a password is set: sign-up, invitation acceptance, reset and
 * change. The minimum length is the master org's setting (ORG settings, `passwordMinLength`), read
 * from the tenant directory every node keeps in memory. Existing passwords are never re-checked:
 * the policy applies when a password is set.
 */
export function createPasswordPolicy(deps: { directory: Pick<TenantDirectory, 'forTenant'> }) {
  async function tenantContext(tenantId: string) {
    const index = await deps.directory.forTenant(tenantId);
    return {
      rules: rulesFor(index.settings.passwordMinLength),
      company: { name: index.root.name, domain: index.settings.domain },
    };
  }

  return {
    /** The rules of a tenant, or the defaults (no tenant: sign-up). */
    async rules(tenantId?: string): Promise<PasswordRules> {
      return tenantId === undefined ? { ...DEFAULT_PASSWORD_RULES } : (await tenantContext(tenantId)).rules;
    },

    /** A new password of a user of the tenant. Never call it inside `directory.change`'s work. */
    async check(tenantId: string, password: string, person: PasswordPerson): Promise<CheckedPassword> {
      const { rules, company } = await tenantContext(tenantId);
      return checkPassword(password, { minLength: rules.minLength, person, company });
    },

    /** At sign-up: no tenant yet, so the default minimum, and the company being registered. */
    checkForSignup(
      password: string,
      person: PasswordPerson,
      company: PasswordCompany,
    ): Promise<CheckedPassword> {
      return checkPassword(password, { minLength: DEFAULT_PASSWORD_RULES.minLength, person, company });
    },
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;

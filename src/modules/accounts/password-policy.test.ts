import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../platform/errors/index.ts';
import type { TenantIndex } from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import {
  checkPassword,
  createPasswordPolicy,
  DEFAULT_PASSWORD_RULES,
  ESTIMATED_PREFIX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type PasswordContext,
  type PasswordRule,
} from './password-policy.ts';

const context = (more: Partial<PasswordContext> = {}): PasswordContext => ({
  minLength: PASSWORD_MIN_LENGTH.default,
  person: { username: 'fiona.founder', email: 'fiona@initech.example', name: 'Fiona Founder' },
  company: { name: 'Globex Corporation', domain: 'globex-eu' },
  ...more,
});

const PASSPHRASE = 'correct-horse-battery-staple-orbit';

/** The refusal's rule and message, or undefined when the password is accepted. */
async function refusal(password: string, ctx = context()) {
  try {
    await checkPassword(password, ctx);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, 'password.policy');
    assert.equal(err.status, 422);
    const details = err.details as { field: string; rule: PasswordRule; problem: string; fields: unknown };
    assert.equal(details.field, 'password');
    assert.equal(err.message, `Password ${details.problem}`, 'the message names the rule');
    assert.deepEqual(details.fields, [{ field: 'password', problem: details.problem }]);
    assert.ok(!err.message.includes(password) && !JSON.stringify(details).includes(password));
    return { rule: details.rule, message: err.message, details: err.details };
  }
}

describe('password policy (ACC-4)', () => {
  test('ACC-4 a long passphrase of unrelated words is accepted', async () => {
    assert.equal(await refusal(PASSPHRASE), undefined);
    assert.equal(await refusal('Tangerine submarine whistles at dawn'), undefined);
  });

  test('ACC-4 fewer than 12 characters is refused by default, naming the minimum', async () => {
    const short = await refusal('k8#Vq!2pZ'); // strong, but 9 characters
    assert.equal(short?.rule, 'too_short');
    assert.equal(short?.message, 'Password must be at least 12 characters');
    assert.equal(short?.details?.minLength, 12);
    // Characters, not UTF-16 units: 11 emoji are 22 units and still too short.
    assert.equal((await refusal('🦊'.repeat(11)))?.rule, 'too_short');
  });

  test('ACC-4 more than 256 characters is refused before any estimate (hashing cost)', async () => {
    assert.equal((await refusal(`${PASSPHRASE} `.repeat(8)))?.rule, 'too_long');
  });

  test('ACC-4 the estimator reads the first 100 characters only; the personal parts are looked for in the whole', async () => {
    // Weak start, strong tail: refused, because the tail past 100 characters is never estimated.
    const tail = 'Zq7#vL9!kP2@wX5$mN8^';
    const weakStart = `${'a'.repeat(ESTIMATED_PREFIX_LENGTH)}${tail.repeat(5)}`;
    assert.equal((await refusal(weakStart))?.rule, 'guessable');
    // The same tail within the first 100 characters does count.
    assert.equal(await refusal(`${'a'.repeat(40)}${tail.repeat(3)}`), undefined);
    // Past the estimated part, the company's domain is still found.
    const personalTail = `${PASSPHRASE.repeat(3).slice(0, ESTIMATED_PREFIX_LENGTH)}globex-eu`;
    assert.equal((await refusal(personalTail))?.rule, 'personal');
    // A strong start of 256 characters is accepted, however it ends.
    const long = `${PASSPHRASE.repeat(3).slice(0, ESTIMATED_PREFIX_LENGTH)}${'a'.repeat(156)}`;
    assert.equal([...long].length, 256);
    assert.equal(await refusal(long), undefined);
  });

  test('ACC-4 only the policy makes a password the users service hashes and stores (checked by tsc)', async () => {
    type Prepared = Parameters<UserService['prepareLocalUser']>[0]['password'];
    type Stored = Parameters<UserService['setPasswordHash']>[3]['passwordHash'];
    // @ts-expect-error a string typed anywhere is not a password the policy accepted
    const typed: Prepared = 'typed-by-anyone-at-all';
    // @ts-expect-error nor is any string a hash that may be stored
    const forged: Stored = '$argon2id$v=19$forged';
    const hashable: Prepared = await checkPassword(PASSPHRASE, context());
    assert.equal(hashable, PASSPHRASE, 'the policy answers the password it accepted');
    assert.ok(typed && forged);
  });

  test('ACC-4 common passwords are refused as common, with case and l33t variations', async () => {
    for (const password of ['qwerty123456', 'QWERTY123456', 'L3aveMeAl0ne', '1qaz2wsx3edc', 'finalfantasy']) {
      const r = await refusal(password);
      assert.equal(r?.rule, 'common', password);
      assert.equal(r?.message, 'Password is one of the most common passwords');
    }
    // Common passwords with something added are judged by their strength.
    for (const password of ['qwertyuiop123', 'password1234', 'p@ssw0rd1234', 'iloveyou1234']) {
      const r = await refusal(password);
      assert.ok(r && ['common', 'guessable'].includes(r.rule), `${password}: ${r?.rule}`);
    }
  });

  test('ACC-4 easily guessed passwords are refused, the strength and the threshold stated', async () => {
    for (const password of ['Password123!', 'P@ssw0rd2024!', 'aaaaaaaaaaaaaaaa', 'abcdefghijklmnop']) {
      const r = await refusal(password);
      assert.ok(r, `${password} is refused`);
      assert.ok(['common', 'guessable'].includes(r.rule), `${password}: ${r.rule}`);
    }
    const guessable = await refusal('Password123!');
    assert.equal(guessable?.rule, 'guessable');
    assert.match(
      guessable?.message ?? '',
      /^Password is too easy to guess \(strength [0-2] of 4; at least 3 required\)$/,
    );
  });

  test('ACC-4 a password containing the username, email, company name or domain is refused, whatever the case', async () => {
    const cases = [
      'Fiona.Founder-rides-a-purple-comet', // username
      'purple-comet-FIONAFOUNDER-rides', // username, punctuation dropped
      'fiona@initech.example-purple-comet', // email
      'purple comet initech rides west', // email domain
      'zebra-Globex Corporation-42-kites', // company name
      'GlobexCorporation purple comet', // company name without its space
      'purple comet globex-eu rides west', // domain
    ];
    for (const password of cases) {
      const r = await refusal(password);
      assert.equal(r?.rule, 'personal', password);
      assert.equal(r?.message, 'Password must not contain your username, email, company name or domain');
    }
    // Parts shorter than 3 characters are not held against anyone.
    const tiny = context({
      person: { username: 'jo', email: 'jo@x.example' },
      company: { name: 'Q', domain: null },
    });
    assert.equal(await refusal(PASSPHRASE, tiny), undefined);
  });

  test('ACC-4 the minimum a master org chose applies: 16, and the bounds 8 and 64', async () => {
    const fifteen = 'violet-kayak-owl'.slice(0, 15);
    assert.equal((await refusal(`${fifteen}`, context({ minLength: 16 })))?.rule, 'too_short');
    assert.equal(
      (await refusal(`${fifteen}`, context({ minLength: 16 })))?.message,
      'Password must be at least 16 characters',
    );
    assert.equal(await refusal('violet-kayak-owl', context({ minLength: 16 })), undefined);
    assert.equal(await refusal('k8#Vq!2pZ', context({ minLength: 8 })), undefined, 'strong, 9 characters');
    assert.equal((await refusal('k8#Vq!2', context({ minLength: 8 })))?.rule, 'too_short');
    const sixtyFour = `${PASSPHRASE}-${PASSPHRASE}`.slice(0, 64);
    assert.equal((await refusal(sixtyFour.slice(0, 63), context({ minLength: 64 })))?.rule, 'too_short');
    assert.equal(await refusal(sixtyFour, context({ minLength: 64 })), undefined);
  });

  test("ACC-4 the policy reads the master org's minimum, name and domain from the tenant directory", async () => {
    const index = (passwordMinLength: number | null) =>
      ({
        settings: { domain: 'globex-eu', passwordMinLength },
        root: { name: 'Globex Corporation' },
      }) as unknown as TenantIndex;
    let chosen: number | null = null;
    const policy = createPasswordPolicy({ directory: { forTenant: async () => index(chosen) } });
    const person = { username: 'fiona', email: 'fiona@initech.example' };
    assert.deepEqual(await policy.rules('t'), DEFAULT_PASSWORD_RULES);
    assert.deepEqual(await policy.rules(), { minLength: 12, maxLength: 256, minStrength: 3 });
    await policy.check('t', 'violet-kayak-owl', person);
    chosen = 20;
    assert.equal((await policy.rules('t')).minLength, 20);
    await assert.rejects(policy.check('t', 'violet-kayak-owl', person), /at least 20 characters/);
    await assert.rejects(policy.check('t', 'violet-kayak-owl-globex-eu', person), /must not contain/);
    // At sign-up there is no tenant: the default minimum, and the company being registered.
    const company = { name: 'Hooli', domain: 'hooli' };
    await policy.checkForSignup('violet-kayak-owl', person, company);
    await assert.rejects(policy.checkForSignup('violet-kayak-hooli', person, company), /must not contain/);
  });
});

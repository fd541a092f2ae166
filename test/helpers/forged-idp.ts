import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLoopback } from './upstream-idp.ts';

// A hand-made OpenID provider whose token endpoint answers with the ID token a test asks for, so
// each FED-7 check can be shown to refuse one forged property. Everything else is well-formed:
// the `good` mode signs in (the negative cases fail for their own reason, not another).

export type Forgery =
  | 'good'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'bad-nonce'
  | 'alg-none'
  | 'foreign-key'
  | 'expired';

export interface ForgedIdp {
  issuer: string;
  forgery: Forgery;
  sub: string;
  close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jws(header: object, claims: object, key: KeyObject | undefined): string {
  const input = `${b64(header)}.${b64(claims)}`;
  if (!key) return `${input}.`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

export async function startForgedIdp(clientId: string): Promise<ForgedIdp> {
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const codes = new Map<string, { nonce: string }>();
  const idp: ForgedIdp = { issuer: '', forgery: 'good', sub: 'forged-sub', close: async () => {} };

  function idToken(nonce: string): string {
    const now = Math.floor(Date.now() / 1000);
    const f = idp.forgery;
    const claims = {
      iss: f === 'wrong-iss' ? 'https://evil.example.test' : idp.issuer,
      sub: idp.sub,
      aud: f === 'wrong-aud' ? 'someone-else' : clientId,
      nonce: f === 'bad-nonce' ? 'not-the-nonce' : nonce,
      iat: f === 'expired' ? now - 7200 : now,
      exp: f === 'expired' ? now - 3600 : now + 300,
      email: 'forged@corp.test',
      preferred_username: 'forged',
      name: 'Forged Person',
      groups: [],
    };
    if (f === 'alg-none') return jws({ alg: 'none', typ: 'JWT' }, claims, undefined);
    const key = f === 'foreign-key' ? foreign.privateKey : signing.privateKey;
    return jws({ alg: 'ES256', kid: 'forged-1', typ: 'JWT' }, claims, key);
  }

  function send(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', idp.issuer);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return send(res, 200, {
          issuer: idp.issuer,
          authorization_endpoint: `${idp.issuer}/authorize`,
          token_endpoint: `${idp.issuer}/token`,
          jwks_uri: `${idp.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256', 'none'],
          code_challenge_methods_supported: ['S256'],
          authorization_response_iss_parameter_supported: true,
        });
      case '/jwks':
        return send(res, 200, {
          keys: [
            { ...signing.publicKey.export({ format: 'jwk' }), kid: 'forged-1', alg: 'ES256', use: 'sig' },
          ],
        });
      case '/authorize': {
        const code = randomBytes(16).toString('hex');
        codes.set(code, { nonce: url.searchParams.get('nonce') ?? '' });
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        back.searchParams.set('iss', idp.issuer);
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      case '/token': {
        let body = '';
        for await (const chunk of req) body += chunk;
        const grant = codes.get(new URLSearchParams(body).get('code') ?? '');
        if (!grant) return send(res, 400, { error: 'invalid_grant' });
        return send(res, 200, {
          access_token: randomBytes(16).toString('hex'),
          token_type: 'Bearer',
          expires_in: 300,
          id_token: idToken(grant.nonce),
        });
      }
      default:
        return send(res, 404, { error: 'not_found' });
    }
  }

  const { origin, close } = await listenLoopback((req, res) => void handle(req, res));
  idp.issuer = origin;
  idp.close = close;
  return idp;
}

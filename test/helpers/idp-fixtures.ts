// Throwaway self-signed certificates (EC P-256) for identity-provider tests; no key is kept.
// CERT_A and CERT_B are valid for a century; SHORT_LIVED_CERT for one day from its notBefore.
export const CERT_A = `-----BEGIN CERTIFICATE-----
MIIBkjCCATegAwIBAgIUPtyDtC1YJ2PmttTSoSSIxi0W3kMwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSaWRwLWEuZXhhbXBsZS50ZXN0MCAXDTI2MTEyODE3MTczMVoY
DzIxMjYxMTA0MTcxNzMxWjAdMRswGQYDVQQDDBJpZHAtYS5leGFtcGxlLnRlc3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARK2oDJ1+fVGmBxRe7N6/vKlOeCNQqA
TlG7phH3R4hmjh3v8vpt3PWAFsjw9kL7u8NaMvcZqVDuNSEXnuAHM5oCo1MwUTAd
BgNVHQ4EFgQUYI0Z3vFaHgFAkvEgIMDsNmGMNUswHwYDVR0jBBgwFoAUYI0Z3vFa
HgFAkvEgIMDsNmGMNUswDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBG
AiEA593TyWjrAKbi93tRiu2bRIxc7HGfbAPXPZrl21koKSQCIQDmfUtD1GysqTiA
glrwuFKYr+WenCOSApeg9eFgTlpjRA==
-----END CERTIFICATE-----`;

export const CERT_B = `-----BEGIN CERTIFICATE-----
MIIBkTCCATegAwIBAgIURe0Qa2texrKzu8G1Gu4RH/7D9yUwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSaWRwLWIuZXhhbXBsZS50ZXN0MCAXDTI2MTEyODE3MTczMVoY
DzIxMjYxMTA0MTcxNzMxWjAdMRswGQYDVQQDDBJpZHAtYi5leGFtcGxlLnRlc3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT5QZ2B5GPyl749MhGmijxUNgajqz1D
0xldHHWHHtYKu0hleK2X5YmI9rR46Sir32vrTh43GO3wLwdehmTkPNyVo1MwUTAd
BgNVHQ4EFgQUkfwunaSsjmLyJCq8WOP1yoMv2zAwHwYDVR0jBBgwFoAUkfwunaSs
jmLyJCq8WOP1yoMv2zAwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
AiA7yVb1DBQO9TvF+hCKNjdVqlURmv/7OZHy7FVN4t/EcAIhAN//9K3YLLis6f0R
lTBxBuozVWYrjo8ALAsVWFNjgvpM
-----END CERTIFICATE-----`;

export const SHORT_LIVED_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUe0L6edGk9uQmWVDONm/aEdjd40gwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYc2hvcnQtbGl2ZWQuZXhhbXBsZS50ZXN0MB4XDTI2MTEyODE3
MTczMVoXDTI2MTEyOTE3MTczMVowIzEhMB8GA1UEAwwYc2hvcnQtbGl2ZWQuZXhh
bXBsZS50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmAJ8JXqTjpAjuvCT
GPSrU1ANUbuyPrOwPgkGAS/ZUZIMMs7DeyWKZL8tQCFGXVRhTwbWmAPNnDKRMluI
a4ZyEqNTMFEwHQYDVR0OBBYEFHY8LV2egbi2PnUVKt0zdIbhfChEMB8GA1UdIwQY
MBaAFHY8LV2egbi2PnUVKt0zdIbhfChEMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
zj0EAwIDSAAwRQIgKdlVk4V6QHTsCXeFjpSW4Gx5FMwOONNFwA17WKfF/MQCIQCE
gDCLKXLdxDZW8HtkXghAP/SzCUcZaW0yqy5gJMHW1g==
-----END CERTIFICATE-----`;

/** A SAML provider's create body; `extra` overrides top-level fields, `config` settings. */
export function samlProvider(
  name: string,
  config: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    kind: 'saml',
    name,
    config: {
      entityId: 'https://idp.example.test/saml',
      ssoUrl: 'https://idp.example.test/sso',
      signingCertificates: [CERT_A],
      ...config,
    },
    ...extra,
  };
}

export const OIDC_SECRET = 'upstream-client-secret-Zq8w1';

export function oidcProvider(
  name: string,
  config: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    kind: 'oidc',
    name,
    config: { issuer: 'https://login.example.test', clientId: 'canopy-client', ...config },
    clientSecret: OIDC_SECRET,
    ...extra,
  };
}

import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const ISSUER = 'https://id.test/';
const AUDIENCE = 'switchboard';

interface TokenOptions {
  readonly alg?: 'RS256' | 'HS256';
  readonly kid?: string;
  /** Seconds from now; default 3600. */
  readonly expiresIn?: number;
  /** Seconds from now. */
  readonly notBeforeIn?: number;
  readonly issuer?: string;
  readonly audience?: string;
  /** Sign with this key instead of the provider's (a stranger's key). */
  readonly key?: CryptoKey | Uint8Array;
}

/** A local identity provider: an RS256 key published as a JWKS on an ephemeral loopback port. */
export interface IdentityProvider {
  readonly jwksUrl: string;
  /** The node environment that trusts this provider. */
  readonly env: Record<string, string | undefined>;
  token(sub: string, options?: TokenOptions): Promise<string>;
  /** The public key in PEM, for HS/RS confusion attempts. */
  readonly publicPem: string;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const seconds = () => Math.floor(Date.now() / 1000);
  return {
    jwksUrl,
    env: { JWT_SECRET: undefined, JWT_JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    publicPem: await exportSPKI(publicKey),
    token(sub, options = {}) {
      let jwt = new SignJWT({})
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1' })
        .setSubject(sub)
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(seconds() + (options.expiresIn ?? 3600));
      if (options.notBeforeIn !== undefined) jwt = jwt.setNotBefore(seconds() + options.notBeforeIn);
      return jwt.sign(options.key ?? privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `alg: none` with otherwise valid claims. */
export function unsignedToken(sub: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
}

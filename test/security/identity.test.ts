import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError, createVerifier, type VerifyToken } from '../../src/auth/verifier.ts';

const SECRET = 'identity-test-secret-that-is-long-enough!';
const now = () => Math.floor(Date.now() / 1000);

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AuthError);
  return (error as Error).message;
};

/** A JWKS served on an ephemeral loopback port; `keys` can be swapped to rotate. */
async function jwksServer(initial: JWK[]): Promise<{ url: string; keys: JWK[]; fetches: number; server: Server }> {
  const state = { url: '', keys: initial, fetches: 0, server: undefined as unknown as Server };
  state.server = createServer((_request, response) => {
    state.fetches += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

async function publicJwk(key: CryptoKey, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(key)), kid, alg, use: 'sig' };
}

describe('token verification: time claims with clock skew', () => {
  const key = new TextEncoder().encode(SECRET);
  const sign = (claims: { exp?: number; nbf?: number }) => {
    let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice');
    if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
    if (claims.nbf !== undefined) jwt = jwt.setNotBefore(claims.nbf);
    return jwt.sign(key);
  };
  const strict = createVerifier({ jwt: { kind: 'secret', secret: SECRET }, jwtIssuer: undefined, jwtAudience: undefined, clockSkewSeconds: 0 });
  const lenient = createVerifier({ jwt: { kind: 'secret', secret: SECRET }, jwtIssuer: undefined, jwtAudience: undefined, clockSkewSeconds: 30 });

  it('refuses a token without exp: every token must expire', async () => {
    expect(await rejection(strict(await sign({})))).toBe("Invalid token: claim 'exp' is missing");
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    expect(await rejection(strict(await sign({ exp: now() + 600, nbf: now() + 120 })))).toBe('Invalid token: it is not valid yet');
  });

  it('accepts nbf and exp within the clock skew, and refuses them beyond it', async () => {
    expect((await lenient(await sign({ exp: now() - 10, nbf: now() + 10 }))).userId).toBe('alice');
    expect(await rejection(lenient(await sign({ exp: now() - 60 })))).toBe('Invalid token: it has expired');
    expect(await rejection(lenient(await sign({ exp: now() + 600, nbf: now() + 60 })))).toBe('Invalid token: it is not valid yet');
  });
});

describe('token verification with a JWKS (RS256, ES256, EdDSA)', () => {
  let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
  let ec: { publicKey: CryptoKey; privateKey: CryptoKey };
  let ed: { publicKey: CryptoKey; privateKey: CryptoKey };
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  let verify: VerifyToken;
  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256');
    ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    jwks = await jwksServer([await publicJwk(rsa.publicKey, 'rsa-1', 'RS256'), await publicJwk(ec.publicKey, 'ec-1', 'ES256'), await publicJwk(ed.publicKey, 'ed-1', 'EdDSA')]);
    verify = createVerifier({ jwt: { kind: 'jwks', url: jwks.url }, jwtIssuer: 'https://id.example/', jwtAudience: 'switchboard' });
  });
  afterAll(() => new Promise((resolve) => jwks.server.close(resolve)));
  afterEach(() => void vi.useRealTimers());

  const sign = (alg: string, kid: string, key: CryptoKey | Uint8Array, claims: { iss?: string; aud?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject(`${alg}-user`)
      .setIssuer(claims.iss ?? 'https://id.example/')
      .setAudience(claims.aud ?? 'switchboard')
      .setExpirationTime('5m')
      .sign(key);

  it.each([
    ['RS256', 'rsa-1'],
    ['ES256', 'ec-1'],
    ['EdDSA', 'ed-1'],
  ])('verifies a %s token by its key id', async (alg, kid) => {
    const key = { 'rsa-1': rsa, 'ec-1': ec, 'ed-1': ed }[kid]?.privateKey as CryptoKey;
    expect((await verify(await sign(alg, kid, key))).userId).toBe(`${alg}-user`);
  });

  it('refuses HS/RS confusion: an HS256 token whose secret is the RSA public key', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await sign('HS256', 'rsa-1', new TextEncoder().encode(pem));
    expect(await rejection(verify(forged))).toBe('Invalid token: its algorithm is not allowed');
  });

  it('refuses an RS256 token on a shared-secret verifier', async () => {
    const hs = createVerifier({ jwt: { kind: 'secret', secret: SECRET }, jwtIssuer: undefined, jwtAudience: undefined });
    expect(await rejection(hs(await sign('RS256', 'rsa-1', rsa.privateKey)))).toBe('Invalid token: its algorithm is not allowed');
  });

  it('refuses alg none even with a known key id', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'eve', exp: now() + 60, iss: 'https://id.example/', aud: 'switchboard' })).toString('base64url');
    expect(await rejection(verify(`${header}.${payload}.`))).toBe('Invalid token: its algorithm is not allowed');
  });

  it('refuses a wrong issuer, a wrong audience and an unknown key id', async () => {
    expect(await rejection(verify(await sign('ES256', 'ec-1', ec.privateKey, { iss: 'https://evil.example/' })))).toBe(
      "Invalid token: claim 'iss' does not match the configuration",
    );
    expect(await rejection(verify(await sign('ES256', 'ec-1', ec.privateKey, { aud: 'other' })))).toBe(
      "Invalid token: claim 'aud' does not match the configuration",
    );
    const stranger = await generateKeyPair('ES256');
    expect(await rejection(verify(await sign('ES256', 'nobody', stranger.privateKey)))).toBe('Invalid token: no key in the JWKS matches it');
  });

  it('follows key rotation: a token with a new key id makes it refetch the JWKS (after the 30 s cooldown)', async () => {
    const rotated = await generateKeyPair('ES256');
    jwks.keys = [await publicJwk(rotated.publicKey, 'ec-2', 'ES256')];
    const token = await sign('ES256', 'ec-2', rotated.privateKey);
    // jose refetches on an unknown key id at most once per 30 s: move its clock past the cooldown.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    const fetchesBefore = jwks.fetches;
    expect((await verify(token)).userId).toBe('ES256-user');
    expect(jwks.fetches).toBe(fetchesBefore + 1);
    // The old key is gone from the set: its tokens are refused from now on.
    expect(await rejection(verify(await sign('RS256', 'rsa-1', rsa.privateKey)))).toBe('Invalid token: no key in the JWKS matches it');
  });
});

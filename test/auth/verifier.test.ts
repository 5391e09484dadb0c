import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthError, bearerToken, createVerifier } from '../../src/auth/verifier.ts';

const SECRET = 'unit-test-secret-that-is-long-enough!!';
const key = new TextEncoder().encode(SECRET);
const sign = (claims: Record<string, unknown> = {}, setup: (jwt: SignJWT) => SignJWT = (jwt) => jwt) =>
  setup(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('5m')).sign(key);
const hs = createVerifier({ jwt: { kind: 'secret', secret: SECRET }, jwtIssuer: undefined, jwtAudience: undefined });
const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AuthError);
  return (error as Error).message;
};

describe('createVerifier with a shared secret (HS256)', () => {
  it('returns the sub claim and expiry of a valid token', async () => {
    const viewer = await hs(await sign());
    expect(viewer.userId).toBe('alice');
    expect(viewer.expiresAt).toBeGreaterThan(Date.now());
  });

  it('refuses an expired token', async () => {
    expect(await rejection(hs(await sign({}, (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60))))).toBe(
      'Invalid token: it has expired',
    );
  });

  it('refuses a token signed with another secret', async () => {
    const other = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(`${SECRET}x`));
    expect(await rejection(hs(other))).toBe('Invalid token: the signature does not verify');
  });

  it('refuses alg none and other algorithms', async () => {
    const unsecured = new UnsecuredJWT({ sub: 'alice' }).encode();
    expect(await rejection(hs(unsecured))).toBe('Invalid token: its algorithm is not allowed');
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('alice').sign(key);
    expect(await rejection(hs(hs512))).toBe('Invalid token: its algorithm is not allowed');
  });

  it('refuses a token without sub, or with a sub that is not a user id', async () => {
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(key);
    expect(await rejection(hs(noSub))).toBe("Invalid token: it has no 'sub' claim");
    const spaced = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('a b').setExpirationTime('5m').sign(key);
    expect(await rejection(hs(spaced))).toBe("Invalid token: the 'sub' claim is not a user id: it contains whitespace or a control character");
  });

  it('refuses garbage', async () => {
    expect(await rejection(hs('not.a.jwt'))).toBe('Invalid token: it is malformed');
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createVerifier({ jwt: { kind: 'secret', secret: SECRET }, jwtIssuer: 'iss-a', jwtAudience: 'aud-a' });
    const good = await sign({}, (jwt) => jwt.setIssuer('iss-a').setAudience('aud-a'));
    expect((await strict(good)).userId).toBe('alice');
    const wrongIssuer = await sign({}, (jwt) => jwt.setIssuer('iss-b').setAudience('aud-a'));
    expect(await rejection(strict(wrongIssuer))).toBe("Invalid token: claim 'iss' does not match the configuration");
    const wrongAudience = await sign({}, (jwt) => jwt.setIssuer('iss-a').setAudience('aud-b'));
    expect(await rejection(strict(wrongAudience))).toBe("Invalid token: claim 'aud' does not match the configuration");
  });
});

describe('createVerifier with a JWKS', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

  it('verifies RS256 and ES256 tokens by kid and refuses HS256 tokens', async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
    ];
    const server = createServer((_req, res) => res.end(JSON.stringify({ keys })));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const verify = createVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined });

    const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa' }).setSubject('rs-user').setExpirationTime('5m').sign(rsa.privateKey);
    const es = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'ec' }).setSubject('es-user').setExpirationTime('5m').sign(ec.privateKey);
    expect((await verify(rs)).userId).toBe('rs-user');
    expect((await verify(es)).userId).toBe('es-user');
    expect(await rejection(verify(await sign()))).toBe('Invalid token: its algorithm is not allowed');
    const unknownKid = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'nope' }).setSubject('x').setExpirationTime('5m').sign(ec.privateKey);
    expect(await rejection(verify(unknownKid))).toBe('Invalid token: no key in the JWKS matches it');
  });
});

describe('bearerToken', () => {
  it('extracts the token, ignoring case of the scheme', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
  });
  it('treats absence as no token', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
  });
  it.each([['Basic abc'], ['Bearer'], ['Bearer a b'], [42]])('refuses %j', (value) => {
    expect(() => bearerToken(value)).toThrow(AuthError);
  });
});

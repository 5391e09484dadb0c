import { describe, expect, it } from 'vitest';
import { withVerificationCache } from '../../src/auth/verification-cache.ts';
import { AuthError, type Viewer } from '../../src/auth/verifier.ts';

/** A verifier that counts calls: tokens are `<user>:<expiresAt>`, or 'bad'. */
function countingVerifier() {
  let calls = 0;
  const verify = async (token: string): Promise<Viewer> => {
    calls += 1;
    if (token === 'bad') throw new AuthError('Invalid token: it is malformed');
    const [userId, exp] = token.split(':');
    return { userId: userId as string, expiresAt: Number(exp) };
  };
  return { verify, calls: () => calls };
}

describe('withVerificationCache', () => {
  it('verifies a token once while it is valid', async () => {
    const { verify, calls } = countingVerifier();
    const cached = withVerificationCache(verify, () => 1_000);
    expect(await cached('alice:5000')).toEqual({ userId: 'alice', expiresAt: 5000 });
    expect(await cached('alice:5000')).toEqual({ userId: 'alice', expiresAt: 5000 });
    expect(calls()).toBe(1);
  });

  it('verifies again once the token has expired, and then refuses it as the verifier does', async () => {
    let now = 1_000;
    const expiring = countingVerifier();
    const cached = withVerificationCache(async (token) => {
      const viewer = await expiring.verify(token);
      if ((viewer.expiresAt ?? Infinity) <= now) throw new AuthError('Invalid token: it has expired');
      return viewer;
    }, () => now);
    await cached('alice:2000');
    now = 2_000;
    await expect(cached('alice:2000')).rejects.toThrow('Invalid token: it has expired');
    expect(expiring.calls()).toBe(2);
  });

  it('never caches a failure', async () => {
    const { verify, calls } = countingVerifier();
    const cached = withVerificationCache(verify, () => 0);
    await expect(cached('bad')).rejects.toBeInstanceOf(AuthError);
    await expect(cached('bad')).rejects.toBeInstanceOf(AuthError);
    expect(calls()).toBe(2);
  });

  it('keeps at most maxEntries tokens, dropping the oldest', async () => {
    const { verify, calls } = countingVerifier();
    const cached = withVerificationCache(verify, () => 0, 2);
    await cached('a:9');
    await cached('b:9');
    await cached('c:9'); // evicts a
    await cached('b:9');
    expect(calls()).toBe(3);
    await cached('a:9');
    expect(calls()).toBe(4);
  });
});

import { SignJWT } from 'jose';

/** The HS256 secret the test nodes are started with. */
export const TEST_JWT_SECRET = 'test-secret-of-at-least-thirty-two-bytes!';

/** Signs a token for `userId` (the `sub`), valid for an hour unless `exp` says otherwise. */
export function tokenFor(
  userId: string,
  { secret = TEST_JWT_SECRET, exp = '1h' }: { secret?: string; exp?: string | number } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

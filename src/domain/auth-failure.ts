/**
 * Why an identity was refused, a closed list (metrics label values, `AuthError.reason`):
 * `missing` (a graphql-ws `connection_init` without a token), `malformed` (not `Bearer <jwt>`, or not a
 * JWT), `expired`, `not_yet_valid` (`nbf`), `bad_signature`, `algorithm` (not allowed), `claims`
 * (`exp` missing, `iss`/`aud` not matching), `subject` (`sub` missing or not a user id),
 * `unknown_key` (no JWKS key matches), `other`.
 */
export const AUTH_FAILURE_REASONS = [
  'missing',
  'malformed',
  'expired',
  'not_yet_valid',
  'bad_signature',
  'algorithm',
  'claims',
  'subject',
  'unknown_key',
  'other',
] as const;

/** One of {@link AUTH_FAILURE_REASONS}. */
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

import { SignJWT } from 'jose';
import type { Plugin } from 'graphql-yoga';
import { userIdProblem } from '../domain/user-id.ts';
import { DEV_JWT_SECRET } from './verifier.ts';

/** Lifetime of a development token. */
const DEV_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** Signs a development token for `userId` with the fixed development secret. */
async function signDevToken(userId: string, now: number): Promise<{ token: string; expiresAt: string }> {
  const issuedAt = Math.floor(now / 1000);
  const exp = issuedAt + DEV_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(DEV_JWT_SECRET));
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

/**
 * `POST /dev/token` with `{"userId":"alice"}` → `{"token","userId","expiresAt"}`. Installed only in
 * development mode (no JWT configuration, NODE_ENV not production).
 */
export function useDevTokenRoute(now: () => number): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/dev/token') return;
      const reply = (status: number, body: unknown) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        );
      if (request.method !== 'POST') return reply(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Use POST' } });
      let input: unknown;
      try {
        input = await request.json();
      } catch {
        return reply(400, { error: { code: 'BAD_USER_INPUT', message: 'Cannot issue token: the body is not JSON' } });
      }
      const userId = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)['userId'] : undefined;
      if (typeof userId !== 'string') {
        return reply(400, {
          error: { code: 'BAD_USER_INPUT', message: "Cannot issue token: expected a JSON body {\"userId\": string}" },
        });
      }
      const problem = userIdProblem(userId);
      if (problem !== undefined) {
        return reply(400, { error: { code: 'BAD_USER_INPUT', message: `Cannot issue token: 'userId' is invalid: ${problem}` } });
      }
      return reply(200, { userId, ...(await signDevToken(userId, now())) });
    },
  };
}

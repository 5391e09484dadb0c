import { describe, expect, it } from 'vitest';
import { guardRequest } from '../../../src/transport/http/http-guard.ts';

// The HTTP body limit lives only here (yoga's own is off: transport/http.ts), so its rules are
// checked directly, with requests a runtime adapter would hand over.

const LIMITS = { allowedOrigins: undefined, maxPayloadBytes: 100 };
const URL_ = 'http://localhost/graphql';

async function refusal(result: Request | Response): Promise<{ status: number; code: unknown }> {
  expect(result).toBeInstanceOf(Response);
  const response = result as Response;
  const body = (await response.json()) as { errors: Array<{ extensions: { code: unknown } }> };
  return { status: response.status, code: body.errors[0]?.extensions.code };
}

/** A request whose headers say `contentLength` (the Request constructor would not let us set it). */
function withContentLength(body: string, contentLength: string): Request {
  const request = new Request(URL_, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const headers = new Headers(request.headers);
  headers.set('content-length', contentLength);
  return new Proxy(request, { get: (target, key) => (key === 'headers' ? headers : Reflect.get(target, key, target)) });
}

describe('guardRequest', () => {
  it('passes a body within the limit by its Content-Length, leaving the request untouched', async () => {
    const request = withContentLength('{"query":"{ me }"}', '18');
    expect(await guardRequest(request, LIMITS)).toBe(request);
  });

  it('refuses a declared length over the limit with 413 LIMIT_EXCEEDED', async () => {
    expect(await refusal(await guardRequest(withContentLength('x', '101'), LIMITS))).toEqual({ status: 413, code: 'LIMIT_EXCEEDED' });
  });

  it.each(['abc', '-1', '1,1', '+10', '1e2', ''])('refuses a malformed Content-Length %j with 400 BAD_REQUEST', async (value) => {
    expect(await refusal(await guardRequest(withContentLength('x', value), LIMITS))).toEqual({ status: 400, code: 'BAD_REQUEST' });
  });

  it('reads a body without Content-Length up to the limit: within it, the bytes are kept', async () => {
    const chunks = ['{"query":', '"{ me }"}'];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const request = new Request(URL_, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    const guarded = await guardRequest(request, LIMITS);
    expect(guarded).toBeInstanceOf(Request);
    expect(await (guarded as Request).text()).toBe(chunks.join(''));
  });

  it('refuses a body without Content-Length once it passes the limit, with 413', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(60));
      },
    });
    const request = new Request(URL_, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await refusal(await guardRequest(request, LIMITS))).toEqual({ status: 413, code: 'LIMIT_EXCEEDED' });
  });

  it('passes a request without a body', async () => {
    const request = new Request(`${URL_}?query=%7B%20me%20%7D`);
    expect(await guardRequest(request, LIMITS)).toBe(request);
  });
});

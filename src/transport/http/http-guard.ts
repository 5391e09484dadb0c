/** A JSON GraphQL error response, the shape every GraphQL-over-HTTP client reads. */
function errorResponse(status: number, message: string, extensions: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * True when a request may come from `origin` (the `Origin` header; `null` when absent). Requests
 * without `Origin` are not from a browser's cross-site context and pass; with `allowed` unset, every
 * origin passes.
 */
export function originAllowed(origin: string | null | undefined, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || origin === null || origin === undefined) return true;
  return allowed.includes(origin);
}

/** The refusal for a request or upgrade from an origin not in ALLOWED_ORIGINS. */
export function originRefusal(origin: string): { status: number; message: string } {
  return { status: 403, message: `Cannot accept request: origin '${origin.slice(0, 200)}' is not in ALLOWED_ORIGINS` };
}

/**
 * Checks an HTTP request (GraphQL, SSE and the other routes) before yoga sees it: its `Origin`
 * against `allowedOrigins` (403 FORBIDDEN), and its body against `maxPayloadBytes` (413
 * LIMIT_EXCEEDED) — by `Content-Length` when given, else by reading at most that many bytes of a
 * chunked body. Returns the request to serve (with the body buffered when it had to be read) or
 * the response that refuses it.
 */
export async function guardRequest(
  request: Request,
  limits: { readonly allowedOrigins: readonly string[] | undefined; readonly maxPayloadBytes: number },
): Promise<Request | Response> {
  const origin = request.headers.get('origin');
  if (!originAllowed(origin, limits.allowedOrigins)) {
    const { status, message } = originRefusal(origin ?? '');
    return errorResponse(status, message, { code: 'FORBIDDEN' });
  }
  const max = limits.maxPayloadBytes;
  const tooLarge = (length: string) =>
    errorResponse(413, `Cannot read request: the body is larger than ${max} bytes: current length ${length}`, {
      code: 'LIMIT_EXCEEDED',
      limit: 'maxPayloadBytes',
    });
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    // node:http and Deno refuse a malformed Content-Length themselves; this keeps the rule here too.
    if (!/^\d+$/u.test(declared)) {
      return errorResponse(400, `Cannot read request: invalid Content-Length: current value '${declared.slice(0, 40)}'`, { code: 'BAD_REQUEST' });
    }
    // node:http frames the body by Content-Length, so a declared length within the limit is the length.
    return Number(declared) > max ? tooLarge(declared) : request;
  }
  // Only now: on Node, `request.body` wraps the request stream in a web stream, work a send with a
  // Content-Length (every GraphQL client sends one) does not need.
  if (request.body === null) return request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel().catch(() => {});
      return tooLarge(`over ${max}`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
}

import { SwitchboardClientError } from './errors.ts';
import type { WireRequest, WireResult } from './link.ts';

/** What {@link postGraphQL} needs. */
export interface PostOptions {
  readonly url: string;
  readonly token: string;
  readonly request: WireRequest;
  readonly signal?: AbortSignal;
  readonly fetchFn?: typeof fetch;
  /** Give up on an answer after this long (a stalled path never answers). Default 15,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * POSTs a GraphQL operation (GraphQL over HTTP). Returns the result, GraphQL errors included.
 * @throws SwitchboardClientError `NETWORK` when no GraphQL answer came back (fetch failed, a 5xx or
 *   another non-GraphQL response): the operation may be retried elsewhere.
 */
export async function postGraphQL(options: PostOptions): Promise<WireResult> {
  const fetchFn = options.fetchFn ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  // The caller's signal, or the timeout, whichever comes first (AbortSignal.any is not everywhere yet).
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new SwitchboardClientError('NETWORK', `Cannot reach ${options.url}: no answer within ${timeoutMs} ms`)), timeoutMs);
  const forward = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forward, { once: true });
  try {
    return await exchange(fetchFn, options, abort.signal);
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    if (abort.signal.aborted) throw abort.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forward);
  }
}

async function exchange(fetchFn: typeof fetch, options: PostOptions, signal: AbortSignal): Promise<WireResult> {
  let response: Response;
  try {
    response = await fetchFn(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${options.token}`,
      },
      body: JSON.stringify(options.request),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new SwitchboardClientError('NETWORK', `Cannot reach ${options.url}: the request failed: ${String(error)}`, { cause: error });
  }
  const type = response.headers.get('content-type') ?? '';
  if (response.status >= 500 || !/json/iu.test(type)) {
    await response.body?.cancel();
    throw new SwitchboardClientError('NETWORK', `Cannot use the answer of ${options.url}: it is not a GraphQL result: HTTP ${response.status} ${type}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null) {
    throw new SwitchboardClientError('NETWORK', `Cannot use the answer of ${options.url}: the JSON is not a GraphQL result: HTTP ${response.status}`);
  }
  return body as WireResult;
}

import type { RequestInfo } from '../../graphql/yoga.ts';

/** The client address in a yoga server context (`RequestInfo`), or `'unknown'`. */
export function clientAddressOf(serverContext: unknown): string {
  const address = (serverContext as RequestInfo | undefined)?.clientAddress;
  return typeof address === 'string' && address !== '' ? address : 'unknown';
}

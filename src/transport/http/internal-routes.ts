import type { RequestInfo } from '../../graphql/yoga.ts';

/** The paths only operators use: metrics and the admin API and page. */
function isInternalPath(pathname: string): boolean {
  return pathname === '/metrics' || pathname === '/admin' || pathname === '/admin.js' || pathname === '/admin.css' || pathname.startsWith('/admin/');
}

/** Probes answer on both listeners (a kubelet may use either). */
const ON_BOTH = new Set(['/health', '/ready']);

/**
 * With INTERNAL_PORT set, which listener may answer `pathname`: the internal paths only on the
 * internal listener, everything else only on the public one (probes on both). Returns a 404 for a
 * request on the wrong one, as if the path did not exist there; `undefined` when it may go on.
 */
export function wrongListener(pathname: string, info: RequestInfo | undefined): Response | undefined {
  if (ON_BOTH.has(pathname)) return undefined;
  if (isInternalPath(pathname) === (info?.internal === true)) return undefined;
  return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `No route ${pathname} on this port` } }), {
    status: 404,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

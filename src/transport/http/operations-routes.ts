import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../../observability/metrics.ts';

/**
 * `GET /metrics` (Prometheus text), `GET /ready` (200 when the node takes traffic: bus reachable,
 * not draining; else 503). Liveness is yoga's own `GET /health` (always 200 while the process serves).
 */
export function useOperationsRoutes(options: { metrics: Metrics; ready: () => boolean }): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET') return;
      if (url.pathname === '/metrics') {
        const { registry } = options.metrics;
        endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
      } else if (url.pathname === '/ready') {
        const ready = options.ready();
        endResponse(
          new fetchAPI.Response(JSON.stringify({ ready }), {
            status: ready ? 200 : 503,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          }),
        );
      }
    },
  };
}

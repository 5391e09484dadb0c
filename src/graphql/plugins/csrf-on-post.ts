import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';

/**
 * CSRF protection for HTTP mutations (graphql-yoga's plugin): a POST whose content type a browser
 * may send cross-site without a preflight (form encodings, text/plain) needs the
 * `x-graphql-yoga-csrf` header. `application/json` and `application/graphql-response+json` POSTs
 * pass unchanged (GraphQL over HTTP). GET is left alone: yoga refuses mutations over GET (405), and
 * GET queries and EventSource subscriptions cannot set a header.
 */
export function useCsrfOnPost(): Plugin {
  const csrf = useCSRFPrevention();
  return {
    onRequestParse(payload) {
      if (payload.request.method === 'POST') return csrf.onRequestParse?.(payload);
    },
  };
}

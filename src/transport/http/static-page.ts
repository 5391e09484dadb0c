import type { Plugin } from 'graphql-yoga';

/**
 * Everything a page loads comes from this node: the markup, the style, the script, and the API it
 * calls (`'self'` covers HTTP and WebSocket in `connect-src`). uPlot and the client draw through
 * the CSSOM, which `style-src 'self'` allows; no inline script or style attribute is needed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * A page's markup around its `body`: UTF-8, a viewport, no favicon request, one style sheet and one
 * module script, both from this node.
 */
export function htmlDocument(page: { title: string; style: string; script: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${page.style}">
<script type="module" src="${page.script}"></script>
</head>
<body>
${page.body}</body>
</html>
`;
}

/** One file of a page: its body, or `undefined` when the build did not bundle it. */
export interface PageFile {
  readonly type: 'text/html' | 'text/css' | 'text/javascript';
  readonly body: string | undefined;
}

/**
 * Serves a page's files, path → file, with the same-origin policy above and `no-cache`. `HEAD` is
 * answered too; other methods get 405. A file the build did not bundle answers 503 saying what to
 * run (web/dist/ is made by `npm run build`), so a bare `tsc` build fails loudly, not blankly.
 */
export function useStaticPage(name: string, files: ReadonlyMap<string, PageFile>): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const file = files.get(url.pathname);
      if (file === undefined) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      if (file.body === undefined) {
        endResponse(
          new fetchAPI.Response(`Cannot serve ${url.pathname}: ${name} was not bundled: run npm run build\n`, {
            status: 503,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : file.body, {
          status: 200,
          headers: {
            'content-type': `${file.type}; charset=utf-8`,
            'cache-control': 'no-cache',
            'x-content-type-options': 'nosniff',
            'content-security-policy': CONTENT_SECURITY_POLICY,
          },
        }),
      );
    },
  };
}

import type { Plugin } from 'graphql-yoga';
import { htmlDocument, useStaticPage } from './static-page.ts';

/** The admin page's script and style sheet, bundled at build time (web/admin/, with uPlot). */
export interface AdminPageAssets {
  readonly script: string | undefined;
  readonly style: string | undefined;
}

/**
 * The admin page (`GET /admin`). Loads `/admin.css` and `/admin.js` and nothing else; the script
 * reads the admin API with the token typed into the form. The page itself holds no data, so it is
 * served without the token, like a login page; every figure on it comes from `/admin/api/*`.
 */
const ADMIN_HTML = htmlDocument({
  title: 'switchboard admin',
  style: '/admin.css',
  script: '/admin.js',
  body: `<header>
  <h1>switchboard admin</h1>
  <p id="updated" role="status"></p>
</header>
<main>
  <section id="sign-in" aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in</h2>
    <form id="sign-in-form" novalidate>
      <label for="admin-token">Admin token</label>
      <input id="admin-token" name="token" type="password" autocomplete="current-password" spellcheck="false" aria-describedby="admin-token-hint">
      <p id="admin-token-hint" class="hint">The node's ADMIN_TOKEN. It stays in this tab (sessionStorage) until you sign out or close it.</p>
      <button type="submit">Sign in</button>
      <p id="sign-in-error" class="error" role="alert"></p>
    </form>
  </section>
  <section id="dashboard" aria-labelledby="cluster-title" hidden>
    <h2 id="cluster-title">Cluster <button id="sign-out" class="quiet" type="button">Sign out</button></h2>
    <dl id="totals"></dl>
    <p id="refresh-error" class="error" role="alert"></p>
    <div class="charts">
      <figure class="chart"><h3>Messages/s (cluster)</h3><div id="chart-messages"></div></figure>
      <figure class="chart"><h3>Connections per node</h3><div id="chart-connections"></div></figure>
      <figure class="chart"><h3>Delivery latency p99 per node (ms)</h3><div id="chart-latency"></div></figure>
    </div>
    <h2 id="nodes-title">Nodes</h2>
    <div class="table-scroll">
      <table aria-labelledby="nodes-title">
        <thead><tr>
          <th scope="col">Node</th><th scope="col" class="text">State</th><th scope="col" class="text">Version · runtime</th>
          <th scope="col">Uptime</th><th scope="col">Connections</th><th scope="col">Users</th><th scope="col">Subscriptions</th><th scope="col">SSE</th>
          <th scope="col">Sent/s</th><th scope="col">Delivered/s</th><th scope="col">Dropped/s</th><th scope="col">p50</th><th scope="col">p99</th>
          <th scope="col">RSS</th><th scope="col">Loop delay</th><th scope="col" class="text">Redis</th><th scope="col">Last seen</th>
        </tr></thead>
        <tbody id="node-rows"></tbody>
      </table>
    </div>
    <h2 id="user-title">User</h2>
    <form id="user-form" novalidate aria-labelledby="user-title">
      <div><label for="user-id">User id</label><input id="user-id" name="userId" maxlength="128" spellcheck="false" autocomplete="off"></div>
      <button type="submit">Look up</button>
      <button id="disconnect" class="danger" type="button">Disconnect everywhere</button>
    </form>
    <p id="user-result" role="status"></p>
  </section>
</main>
`,
});

/**
 * Serves `GET /admin` (the page), `/admin.css` and `/admin.js` (503 when the build did not bundle
 * them). Mounted only with ADMIN_TOKEN set, like the admin API; on INTERNAL_PORT only when that is set.
 */
export function useAdminPage(assets: AdminPageAssets): Plugin {
  const script = assets.script === undefined ? undefined : `${assets.script}\nswitchboardAdmin.startAdmin();\n`;
  return useStaticPage(
    'the admin page',
    new Map([
      ['/admin', { type: 'text/html', body: ADMIN_HTML }],
      ['/admin.css', { type: 'text/css', body: assets.style }],
      ['/admin.js', { type: 'text/javascript', body: script }],
    ]),
  );
}

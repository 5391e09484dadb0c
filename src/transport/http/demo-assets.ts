// The demo page's markup and style, embedded as strings so the core serves them without reading
// files (only src/runtime/ touches the file system). The script is web/demo/demo-client.ts, bundled
// with @switchboard/client at build time (`web-assets.ts`).
import { htmlDocument } from './static-page.ts';

/** The demo page (`GET /`). Loads `/demo.css` and `/demo.js`, nothing else. */
export const DEMO_HTML = htmlDocument({
  title: 'switchboard demo',
  style: '/demo.css',
  script: '/demo.js',
  body: `<header>
  <h1>switchboard</h1>
  <p id="status" role="status" data-state="offline">Not connected</p>
</header>
<main>
  <section id="sign-in" aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in</h2>
    <form id="sign-in-form" novalidate>
      <label for="user-id">User name</label>
      <input id="user-id" name="userId" autocomplete="username" maxlength="128" spellcheck="false" aria-describedby="user-id-hint">
      <p id="user-id-hint" class="hint">You get a development token for this name from the server.</p>
      <details id="token-details">
        <summary>Use a token instead</summary>
        <label for="token">Token (JWT whose <code>sub</code> is your user id)</label>
        <textarea id="token" rows="3" spellcheck="false" autocomplete="off"></textarea>
      </details>
      <button type="submit">Connect</button>
      <p id="sign-in-error" class="error" role="alert"></p>
    </form>
  </section>
  <section id="chat" aria-labelledby="chat-title" hidden>
    <h2 id="chat-title">Signed in as <span id="me"></span></h2>
    <p class="node">Node: <strong id="node-id"></strong> <button id="sign-out" type="button">Sign out</button></p>
    <p id="recovery" class="hint" role="status"></p>
    <form id="send-form" novalidate>
      <div class="field"><label for="to">To</label>
        <input id="to" name="to" maxlength="128" spellcheck="false" autocomplete="off"></div>
      <div class="field grow"><label for="body">Message</label>
        <input id="body" name="body" maxlength="4096" autocomplete="off"></div>
      <button type="submit">Send</button>
      <p id="send-error" class="error" role="alert"></p>
    </form>
    <h3 id="messages-title">Messages</h3>
    <div role="log" aria-live="polite" aria-labelledby="messages-title">
      <ol id="messages"></ol>
    </div>
  </section>
</main>
`,
});

/** The demo page's style (`GET /demo.css`): system fonts, light and dark, visible focus. */
export const DEMO_CSS = `:root { color-scheme: light dark; --accent: #0b63ce; --on-accent: #fff; --muted: #666; --line: #ccc8; font-family: system-ui, sans-serif; line-height: 1.4; }
@media (prefers-color-scheme: dark) { :root { --accent: #6cb0ff; --on-accent: #061a33; --muted: #aaa; } }
body { max-width: 46rem; margin: 0 auto; padding: 1rem; }
header { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.4rem; margin: .5rem 0; }
h2 { font-size: 1.15rem; }
h3 { font-size: 1rem; margin-bottom: .25rem; }
#status::before { content: "●"; margin-right: .4em; color: #b00; }
#status[data-state="connecting"]::before { color: #c80; }
#status[data-state="online"]::before { color: #080; }
label { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
input, textarea, button { font: inherit; padding: .4rem .6rem; border: 1px solid var(--muted); border-radius: .3rem; }
input, textarea { width: 100%; box-sizing: border-box; }
button { background: var(--accent); color: var(--on-accent); border-color: var(--accent); cursor: pointer; margin-top: .5rem; }
#sign-out { background: none; color: var(--accent); margin: 0 0 0 .5rem; padding: .1rem .5rem; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.hint, .node { color: var(--muted); margin: .2rem 0; }
.error { color: #c00; min-height: 1.4em; margin: .3rem 0; }
@media (prefers-color-scheme: dark) { .error { color: #f77; } }
details { margin: .5rem 0; }
#send-form { display: flex; flex-wrap: wrap; gap: 0 .5rem; align-items: flex-end; }
#send-form .field { flex: 1 1 8rem; }
#send-form .field.grow { flex: 3 1 14rem; }
#send-form .error { flex-basis: 100%; }
#messages { list-style: none; padding: 0; margin: 0; }
#messages li { border: 1px solid var(--line); border-radius: .5rem; padding: .4rem .7rem; margin: .4rem 0; max-width: 80%; }
#messages li.in { border-left: 4px solid var(--accent); }
#messages li.out { margin-left: auto; border-right: 4px solid var(--muted); }
#messages .who { font-weight: 600; }
#messages time { color: var(--muted); font-size: .85em; }
#messages p { margin: .2rem 0 0; overflow-wrap: anywhere; white-space: pre-wrap; }
`;

import {
  createSwitchboardClient,
  localStorageCursorStore,
  readTokenClaims,
  SwitchboardClientError,
  type CursorStore,
  type FeedStatus,
  type SwitchboardClient,
  type SwitchboardMessage,
} from '@switchboard/client';
import type { DemoClientOptions } from '../../src/transport/http/demo-options.ts';

/**
 * The demo page's browser script, built on `@switchboard/client`. It is not part of the server
 * build: `scripts/bundle-web.mjs` bundles it with the client (esbuild) into
 * `web/dist/bundles.js` (`DEMO_SCRIPT`), a string the server sends as `/demo.js`, so the page loads
 * nothing but itself (Node and Deno serve the same string, with no file read on Deno).
 *
 * The client follows the inbox: on sign-in every retained message, then live; after a reconnect or a
 * page reload it resumes after the last message shown (the cursor lives in `localStorage`, one key
 * per user) and the page says how many it recovered. Sends carry one `clientMessageId` per message,
 * retried until delivered once.
 */
export function startDemo(options: DemoClientOptions): void {
  const TOKEN_KEY = 'switchboard-demo-token';
  const MAX_SHOWN = 100;

  const element = <T extends HTMLElement>(id: string): T => {
    const found = document.getElementById(id);
    if (found === null) throw new Error(`Cannot start the demo: element #${id} is missing`);
    return found as T;
  };
  const signIn = element<HTMLElement>('sign-in');
  const signInForm = element<HTMLFormElement>('sign-in-form');
  const userIdInput = element<HTMLInputElement>('user-id');
  const tokenDetails = element<HTMLDetailsElement>('token-details');
  const tokenInput = element<HTMLTextAreaElement>('token');
  const signInError = element<HTMLElement>('sign-in-error');
  const chat = element<HTMLElement>('chat');
  const meOutput = element<HTMLElement>('me');
  const nodeOutput = element<HTMLElement>('node-id');
  const statusOutput = element<HTMLElement>('status');
  const recoveryOutput = element<HTMLElement>('recovery');
  const sendForm = element<HTMLFormElement>('send-form');
  const toInput = element<HTMLInputElement>('to');
  const bodyInput = element<HTMLInputElement>('body');
  const sendError = element<HTMLElement>('send-error');
  const messageList = element<HTMLOListElement>('messages');
  const signOutButton = element<HTMLButtonElement>('sign-out');

  let session: { client: SwitchboardClient; stop: () => void; store: CursorStore } | undefined;

  const setStatus = (text: string, state: 'offline' | 'connecting' | 'online') => {
    statusOutput.textContent = text;
    statusOutput.dataset['state'] = state;
  };
  const problemOf = (error: unknown) =>
    error instanceof SwitchboardClientError ? `${error.message.replace(/^.*?: the server answered [A-Z_]+: /u, '')} (${error.code})` : String(error);

  const trim = () => {
    while (messageList.children.length > MAX_SHOWN) messageList.firstElementChild?.remove();
  };
  const showMessage = (message: SwitchboardMessage, direction: 'in' | 'out') => {
    const item = document.createElement('li');
    item.className = direction;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = direction === 'in' ? `From ${message.fromUserId}` : `To ${message.toUserId}`;
    const time = document.createElement('time');
    time.dateTime = message.sentAt;
    time.textContent = new Date(message.sentAt).toLocaleTimeString();
    const body = document.createElement('p');
    body.textContent = message.body;
    item.append(who, ' ', time, body);
    messageList.append(item);
    trim();
    item.scrollIntoView({ block: 'nearest' });
  };

  const plural = (count: number) => `${count} message${count === 1 ? '' : 's'}`;
  const onStatus = (status: FeedStatus, client: SwitchboardClient) => {
    if (status.state === 'connecting') {
      if (status.closeCode === 4403 && status.attempt > 1) return signOut(`The server refused the token: sign in again. (${status.closeReason || 'Forbidden'})`);
      const wait = status.retryInMs === undefined ? '' : `; reconnecting in ${(status.retryInMs / 1000).toFixed(1)} s`;
      return setStatus(status.closeCode === undefined ? 'Connecting…' : `Disconnected (${status.closeCode})${wait}…`, 'connecting');
    }
    if (status.state === 'recovering') return setStatus('Connected; catching up…', 'connecting');
    if (status.recovered === true) recoveryOutput.textContent = `Recovered ${plural(status.recoveredCount ?? 0)}.`;
    void client.request<{ nodeId: string; me: string }>('query Who { nodeId me }').then(
      ({ nodeId, me }) => {
        if (session?.client !== client) return;
        nodeOutput.textContent = nodeId;
        meOutput.textContent = me;
        setStatus(`Connected to node ${nodeId}`, 'online');
      },
      (error: unknown) => setStatus(`Error: ${problemOf(error)}`, 'offline'),
    );
  };

  const devToken = async (userId: string): Promise<string> => {
    const response = await fetch('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    if (response.status === 404) throw new DevTokensOff();
    const reply = (await response.json()) as { token?: unknown; error?: { message?: unknown } };
    if (!response.ok || typeof reply.token !== 'string') throw new Error(String(reply.error?.message ?? response.statusText));
    return reply.token;
  };
  class DevTokensOff extends Error {}

  const start = (initialToken: string, devUser?: string) => {
    let token = initialToken;
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token, devUser }));
    const userId = readTokenClaims(token).sub ?? '';
    signIn.hidden = true;
    chat.hidden = false;
    meOutput.textContent = userId || '…';
    recoveryOutput.textContent = '';
    const store = localStorageCursorStore({ key: `switchboard-demo-cursor:${userId}` });
    const client = createSwitchboardClient({
      url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${options.graphqlPath}`,
      // A development token is simply fetched again when it expires; a pasted one is what it is.
      getToken: async () => {
        const exp = readTokenClaims(token).exp;
        if (devUser !== undefined && exp !== undefined && exp * 1000 - Date.now() < 60_000) token = await devToken(devUser);
        return token;
      },
      cursorStore: store,
    });
    const stop = client.messages({
      initial: 'retained',
      onMessage: (message) => showMessage(message, 'in'),
      onStatus: (status) => onStatus(status, client),
      onGap: () => (recoveryOutput.textContent = 'Some messages expired while you were away; showing what is retained.'),
    });
    session = { client, stop, store };
    toInput.focus();
  };

  const signOut = (reason?: string) => {
    const ending = session;
    session = undefined;
    ending?.stop();
    ending?.client.dispose();
    void ending?.store.clear();
    sessionStorage.removeItem(TOKEN_KEY);
    chat.hidden = true;
    signIn.hidden = false;
    messageList.replaceChildren();
    recoveryOutput.textContent = '';
    nodeOutput.textContent = '';
    setStatus('Not connected', 'offline');
    signInError.textContent = reason ?? '';
    userIdInput.focus();
  };

  signInForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    signInError.textContent = '';
    const pasted = tokenInput.value.trim();
    if (pasted !== '') return start(pasted.replace(/^Bearer\s+/iu, ''));
    const userId = userIdInput.value.trim();
    if (userId === '') {
      signInError.textContent = 'Enter a user name, or paste a token.';
      return userIdInput.focus();
    }
    try {
      start(await devToken(userId), userId);
    } catch (error) {
      if (error instanceof DevTokensOff) {
        tokenDetails.open = true;
        signInError.textContent = 'This server issues no development tokens: paste a token for your user.';
        return tokenInput.focus();
      }
      signInError.textContent = `Cannot sign in: ${error instanceof Error ? error.message : String(error)}`;
      userIdInput.focus();
    }
  });

  sendForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    sendError.textContent = '';
    const toUserId = toInput.value.trim();
    const body = bodyInput.value;
    if (toUserId === '' || body === '') {
      sendError.textContent = toUserId === '' ? 'Enter who the message is for.' : 'Write a message.';
      return (toUserId === '' ? toInput : bodyInput).focus();
    }
    if (session === undefined) return;
    try {
      // One clientMessageId for every retry of this send: delivered once.
      showMessage(await session.client.send(toUserId, body), 'out');
      bodyInput.value = '';
      bodyInput.focus();
    } catch (error) {
      sendError.textContent = `Not sent: ${problemOf(error)}`;
    }
  });

  signOutButton.addEventListener('click', () => signOut());

  const saved = sessionStorage.getItem(TOKEN_KEY);
  const restored = saved === null ? undefined : (JSON.parse(saved) as { token?: unknown; devUser?: unknown });
  if (typeof restored?.token === 'string') start(restored.token, typeof restored.devUser === 'string' ? restored.devUser : undefined);
  else userIdInput.focus();
}

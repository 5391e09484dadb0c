/** What the demo page's script needs to know about the server it came from. */
export interface DemoClientOptions {
  /** Path of the GraphQL endpoint (HTTP and graphql-ws). */
  readonly graphqlPath: string;
}

/**
 * The demo page's browser script. Its *source* is what the server sends (`/demo.js`, see
 * `demo-page.ts`), so it must stay self-contained: no imports and no reference to anything outside
 * its own body. It is TypeScript so the strict compiler checks it against the DOM types.
 *
 * It speaks graphql-transport-ws itself (connection_init with the token, ack, ping/pong, subscribe,
 * next/error/complete) rather than shipping a client library: the page then loads nothing but itself.
 * Over the socket: `nodeId`, the retained history (`messages`), then `messageReceived(after:)` from the
 * last message shown, also after every reconnect, so nothing is missed. Sends go over HTTP POST with a
 * fresh `clientMessageId`.
 */
export function demoClient(options: DemoClientOptions): void {
  const STORAGE_KEY = 'switchboard-demo-token';
  const RECONNECT_DELAYS_MS = [500, 1000, 2000, 5000, 10_000];
  const MAX_SHOWN = 100;

  interface Message {
    id: string;
    fromUserId: string;
    toUserId: string;
    body: string;
    sentAt: string;
  }
  interface GraphQLResult {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }>;
  }

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
  const sendForm = element<HTMLFormElement>('send-form');
  const toInput = element<HTMLInputElement>('to');
  const bodyInput = element<HTMLInputElement>('body');
  const sendError = element<HTMLElement>('send-error');
  const messageList = element<HTMLOListElement>('messages');
  const signOutButton = element<HTMLButtonElement>('sign-out');

  let token: string | undefined;
  let socket: WebSocket | undefined;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** The id of the last message received: the cursor a new subscription resumes after. */
  let lastId: string | undefined;
  const seen = new Set<string>();

  const setStatus = (text: string, state: 'offline' | 'connecting' | 'online') => {
    statusOutput.textContent = text;
    statusOutput.dataset['state'] = state;
  };

  const problemOf = (result: GraphQLResult): string | undefined => {
    const first = result.errors?.[0];
    if (first === undefined) return undefined;
    const code = typeof first.extensions?.code === 'string' ? ` (${first.extensions.code})` : '';
    return `${String(first.message)}${code}`;
  };

  const isMessage = (value: unknown): value is Message => {
    if (typeof value !== 'object' || value === null) return false;
    const record = value as Record<string, unknown>;
    return ['id', 'fromUserId', 'toUserId', 'body', 'sentAt'].every((key) => typeof record[key] === 'string');
  };

  const showMessage = (message: Message, direction: 'in' | 'out') => {
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
    item.scrollIntoView({ block: 'nearest' });
  };

  /** Shows an incoming message once, and remembers it as the cursor to resume after. */
  const receive = (message: Message) => {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    lastId = message.id;
    showMessage(message, 'in');
    while (messageList.children.length > MAX_SHOWN) messageList.firstElementChild?.remove();
  };

  const post = async (query: string, variables: Record<string, unknown>): Promise<GraphQLResult> => {
    const response = await fetch(options.graphqlPath, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResult;
  };

  const socketUrl = () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${options.graphqlPath}`;

  const MESSAGE_FIELDS = 'id fromUserId toUserId body sentAt';
  const connect = () => {
    if (token === undefined) return;
    setStatus('Connecting…', 'connecting');
    const ws = new WebSocket(socketUrl(), 'graphql-transport-ws');
    socket = ws;
    const send = (frame: Record<string, unknown>) => ws.send(JSON.stringify(frame));
    // One-shot operations over the socket (so they reach the node holding it), by operation id.
    const pending = new Map<string, (result: GraphQLResult) => void>();
    let nextId = 0;
    const request = (query: string, variables: Record<string, unknown> = {}) =>
      new Promise<GraphQLResult>((resolve) => {
        const id = `q${++nextId}`;
        pending.set(id, resolve);
        send({ id, type: 'subscribe', payload: { query, variables } });
      });

    // Catch up on what arrived while this tab was away (history, oldest first; only the newest
    // are kept on screen), then go live after the last one: the server resumes without a gap.
    const catchUp = async (): Promise<void> => {
      for (;;) {
        const result = await request(`query Missed($after: ID) { messages(after: $after, first: 500) { items { ${MESSAGE_FIELDS} } hasMore } }`, {
          after: lastId,
        });
        const page = result.data?.['messages'] as { items?: unknown; hasMore?: unknown } | undefined;
        if (page === undefined || !Array.isArray(page.items)) throw new Error(problemOf(result) ?? 'no history');
        for (const item of page.items) if (isMessage(item)) receive(item);
        if (page.hasMore !== true) break;
      }
      send({
        id: 'inbox',
        type: 'subscribe',
        payload: { query: `subscription Inbox($after: ID) { messageReceived(after: $after) { ${MESSAGE_FIELDS} } }`, variables: { after: lastId } },
      });
    };

    ws.addEventListener('open', () => send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    ws.addEventListener('message', (event) => {
      let frame: { type?: unknown; id?: unknown; payload?: unknown };
      try {
        frame = JSON.parse(String(event.data)) as typeof frame;
      } catch {
        return;
      }
      const id = typeof frame.id === 'string' ? frame.id : '';
      if (frame.type === 'ping') return send({ type: 'pong' });
      if (frame.type === 'connection_ack') {
        attempt = 0;
        void request('query Who { nodeId me }').then((result) => {
          const { nodeId, me } = result.data ?? {};
          if (typeof nodeId !== 'string' || typeof me !== 'string') return setStatus(`Error: ${problemOf(result) ?? 'no answer'}`, 'offline');
          nodeOutput.textContent = nodeId;
          meOutput.textContent = me;
          setStatus(`Connected to node ${nodeId}`, 'online');
        });
        catchUp().catch((error: unknown) => setStatus(`Error: ${String(error)}`, 'offline'));
        return;
      }
      if (frame.type === 'next' || frame.type === 'error') {
        const result = (frame.type === 'next' ? frame.payload ?? {} : { errors: frame.payload }) as GraphQLResult;
        const waiting = pending.get(id);
        if (waiting !== undefined) {
          pending.delete(id);
          return waiting(result);
        }
        if (id !== 'inbox') return;
        const message = result.data?.['messageReceived'];
        if (isMessage(message)) return receive(message);
        if (result.errors?.some((e) => e.extensions?.code === 'CURSOR_EXPIRED')) {
          // Retention dropped messages after our cursor: start over from what is retained.
          lastId = undefined;
          return void catchUp().catch((error: unknown) => setStatus(`Error: ${String(error)}`, 'offline'));
        }
        setStatus(`Error: ${problemOf(result) ?? 'the subscription failed'}`, 'offline');
      }
    });
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return; // replaced or signed out
      socket = undefined;
      if (event.code === 4403) {
        signOut(`The server refused the token: sign in again. (${event.reason || 'Forbidden'})`);
        return;
      }
      // 1001 is a node draining or restarting: reconnect (to another node, behind a load balancer)
      // and resume after the last message shown.
      const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)] ?? 10_000;
      attempt += 1;
      setStatus(`Disconnected (${event.code}); reconnecting in ${delay / 1000} s…`, 'connecting');
      reconnectTimer = setTimeout(connect, delay);
    });
  };

  const start = (newToken: string) => {
    token = newToken;
    sessionStorage.setItem(STORAGE_KEY, newToken);
    signIn.hidden = true;
    chat.hidden = false;
    meOutput.textContent = userIdInput.value.trim() || '…';
    connect();
    toInput.focus();
  };

  const signOut = (reason?: string) => {
    clearTimeout(reconnectTimer);
    const open = socket;
    socket = undefined;
    open?.close(1000, 'Signed out');
    token = undefined;
    sessionStorage.removeItem(STORAGE_KEY);
    chat.hidden = true;
    signIn.hidden = false;
    messageList.replaceChildren();
    lastId = undefined;
    seen.clear();
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
      const response = await fetch('/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      if (response.status === 404) {
        tokenDetails.open = true;
        signInError.textContent = 'This server issues no development tokens: paste a token for your user.';
        return tokenInput.focus();
      }
      const reply = (await response.json()) as { token?: unknown; error?: { message?: unknown } };
      if (!response.ok || typeof reply.token !== 'string') {
        signInError.textContent = `Cannot sign in: ${String(reply.error?.message ?? response.statusText)}`;
        return userIdInput.focus();
      }
      start(reply.token);
    } catch (error) {
      signInError.textContent = `Cannot sign in: ${String(error)}`;
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
    try {
      const result = await post(
        'mutation Send($toUserId: ID!, $body: String!, $clientMessageId: ID) { sendMessage(toUserId: $toUserId, body: $body, clientMessageId: $clientMessageId) { id fromUserId toUserId body sentAt } }',
        // A retry of this very send (same id) would be delivered once.
        { toUserId, body, clientMessageId: crypto.randomUUID() },
      );
      const sent = result.data?.['sendMessage'];
      if (!isMessage(sent)) {
        sendError.textContent = `Not sent: ${problemOf(result) ?? 'no answer'}`;
        return;
      }
      showMessage(sent, 'out');
      while (messageList.children.length > MAX_SHOWN) messageList.firstElementChild?.remove();
      bodyInput.value = '';
      bodyInput.focus();
    } catch (error) {
      sendError.textContent = `Not sent: ${String(error)}`;
    }
  });

  signOutButton.addEventListener('click', () => signOut());

  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (saved !== null) start(saved);
  else userIdInput.focus();
}

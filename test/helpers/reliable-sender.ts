import { post, type GraphQLResponse, type ReceivedMessage } from './graphql-client.ts';

const SEND_ONCE = `mutation Send($to: ID!, $body: String!, $key: ID) {
  sendMessage(toUserId: $to, body: $body, clientMessageId: $key) { id fromUserId toUserId body sentAt }
}`;

/** What happened to each attempt of a send, for assertions on failure behaviour. */
export interface Attempt {
  readonly url: string;
  readonly outcome: 'ok' | 'unavailable' | 'network';
  readonly ms: number;
}

/**
 * Sends like a careful app: with a clientMessageId, retrying on another node when one is unreachable
 * or answers UNAVAILABLE, until it gets the message back. Any other error is thrown.
 */
export async function sendReliably(options: {
  urls: readonly string[];
  token: string;
  to: string;
  body: string;
  key: string;
  attempts?: Attempt[];
  deadlineMs?: number;
}): Promise<ReceivedMessage> {
  const deadline = Date.now() + (options.deadlineMs ?? 20_000);
  for (let i = 0; ; i++) {
    const url = options.urls[i % options.urls.length] as string;
    const startedAt = Date.now();
    let result: GraphQLResponse<{ sendMessage: ReceivedMessage }> | undefined;
    try {
      result = await post(url, SEND_ONCE, { to: options.to, body: options.body, key: options.key }, options.token);
    } catch {
      options.attempts?.push({ url, outcome: 'network', ms: Date.now() - startedAt });
    }
    if (result !== undefined) {
      const code = result.errors?.[0]?.extensions?.code;
      if (result.data?.sendMessage) {
        options.attempts?.push({ url, outcome: 'ok', ms: Date.now() - startedAt });
        return result.data.sendMessage;
      }
      if (code !== 'UNAVAILABLE') throw new Error(`send failed: ${JSON.stringify(result.errors)}`);
      options.attempts?.push({ url, outcome: 'unavailable', ms: Date.now() - startedAt });
    }
    if (Date.now() > deadline) throw new Error(`send of ${options.key} did not succeed before the deadline`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

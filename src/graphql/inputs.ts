import { parseCursor } from '../domain/cursor.ts';
import { byteLength } from '../domain/message.ts';
import { userIdProblem } from '../domain/user-id.ts';
import { clientError } from './errors.ts';

/** The largest `first` of the `messages` query. */
const MAX_PAGE_SIZE = 500;

/** The longest `clientMessageId`, in characters. */
const MAX_CLIENT_MESSAGE_ID_LENGTH = 128;

/** Validates a cursor argument and returns it normalised. @throws BAD_USER_INPUT */
export function cursorArgument(what: string, after: string | null | undefined): string | undefined {
  if (after === null || after === undefined) return undefined;
  const cursor = parseCursor(after);
  if (cursor === undefined) {
    throw clientError('BAD_USER_INPUT', `${what}: 'after' is not a message id (expected <ms>-<seq>): current value '${after.slice(0, 64)}'`);
  }
  return `${cursor.ms}-${cursor.seq}`;
}

/** Validates the arguments of `sendMessage`. @throws BAD_USER_INPUT */
export function checkSendArguments(
  args: { toUserId: string; body: string; clientMessageId?: string | null },
  maxMessageBytes: number,
): void {
  const toProblem = userIdProblem(args.toUserId);
  if (toProblem !== undefined) throw clientError('BAD_USER_INPUT', `Cannot send message: 'toUserId' is invalid: ${toProblem}`);
  if (args.body.length === 0) throw clientError('BAD_USER_INPUT', "Cannot send message: 'body' is empty");
  const bytes = byteLength(args.body);
  if (bytes > maxMessageBytes) {
    throw clientError(
      'BAD_USER_INPUT',
      `Cannot send message: 'body' is longer than ${maxMessageBytes} bytes: current length ${bytes}`,
      { maxBytes: maxMessageBytes },
    );
  }
  const id = args.clientMessageId;
  if (id !== null && id !== undefined && (id.length === 0 || id.length > MAX_CLIENT_MESSAGE_ID_LENGTH)) {
    throw clientError(
      'BAD_USER_INPUT',
      `Cannot send message: 'clientMessageId' must be 1 to ${MAX_CLIENT_MESSAGE_ID_LENGTH} characters: current length ${id.length}`,
    );
  }
}

/** Validates `first` of the `messages` query. @throws BAD_USER_INPUT */
export function pageSizeArgument(first: number | null | undefined): number {
  const size = first ?? 50;
  if (size < 1 || size > MAX_PAGE_SIZE) {
    throw clientError('BAD_USER_INPUT', `Cannot read messages: 'first' must be from 1 to ${MAX_PAGE_SIZE}: current value ${size}`);
  }
  return size;
}

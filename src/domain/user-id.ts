/** The longest user id accepted, in characters. Ids become parts of Redis keys and channels. */
const MAX_USER_ID_LENGTH = 128;

// Control characters and whitespace are refused so an id can never break a log line or a key.
const FORBIDDEN = /[\u0000-\u0020\u007f-\u009f]/u;

/**
 * Why `id` is not a usable user id, or `undefined` when it is. Used for the token's `sub` claim and
 * for `toUserId`, so both sides of a message obey the same rule.
 */
export function userIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'it is empty';
  if (id.length > MAX_USER_ID_LENGTH) {
    return `it is longer than ${MAX_USER_ID_LENGTH} characters: current length ${id.length}`;
  }
  if (FORBIDDEN.test(id)) return 'it contains whitespace or a control character';
  return undefined;
}

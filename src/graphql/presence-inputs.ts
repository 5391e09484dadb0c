import { userIdProblem } from '../domain/user-id.ts';
import { clientError } from './errors.ts';

/** The most ids one `isOnline` may ask about. */
export const MAX_IS_ONLINE_IDS = 500;

/** The most users one `presenceChanged` may watch. */
export const MAX_WATCHED_USERS = 100;

/**
 * Validates `userIds` of a presence operation: at most `max` entries (at least `min`), each a valid
 * user id. Returns them unchanged (order and duplicates kept). @throws BAD_USER_INPUT
 */
export function presenceUserIds(what: string, userIds: readonly string[], min: number, max: number): readonly string[] {
  if (userIds.length > max || userIds.length < min) {
    throw clientError('BAD_USER_INPUT', `${what}: 'userIds' must have ${min} to ${max} entries: current length ${userIds.length}`, {
      maxUserIds: max,
    });
  }
  userIds.forEach((userId, index) => {
    const problem = userIdProblem(userId);
    if (problem !== undefined) throw clientError('BAD_USER_INPUT', `${what}: 'userIds[${index}]' is invalid: ${problem}`);
  });
  return userIds;
}

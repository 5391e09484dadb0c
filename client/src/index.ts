/**
 * `@switchboard/client`: a switchboard client that never loses a message. See README.md.
 * @module
 */
export { createSwitchboardClient } from './create-client.ts';
export type { MessagesOptions, PresenceEvent, SwitchboardClient, SwitchboardClientOptions, SwitchboardMessage } from './client-api.ts';
export { localStorageCursorStore, memoryCursorStore, type CursorStore, type KeyValueStorage, type LocalStorageCursorStoreOptions } from './cursor-store.ts';
export { fullJitter, type BackoffOptions } from './backoff.ts';
export { DISCONNECTED_BY_ADMIN_CODE, nextStep, TERMINATED_CODE, TOKEN_REFRESH_CODE, type ConnectionEnd, type NextStep } from './close-policy.ts';
export { compareCursors } from './cursor.ts';
export { SwitchboardClientError, type SwitchboardErrorCode } from './errors.ts';
export type { FeedGap, FeedStatus } from './feed-status.ts';
export type { UrlOption } from './connector.ts';
export type { LivenessOptions } from './ws-link.ts';
export type { SendOptions } from './send.ts';
export type { SubscriptionSink } from './subscription-user.ts';
export { readTokenClaims, type TokenClaims } from './token.ts';
export * from './operations.generated.ts';

/** Where a message feed stands; reported through `onStatus` on every change. */
export type FeedStatus =
  | {
      /** Opening a connection, or waiting to (`retryInMs`) after one ended (`closeCode`, `closeReason`). */
      readonly state: 'connecting';
      /** Consecutive failed connections so far. */
      readonly attempt: number;
      readonly url?: string;
      readonly closeCode?: number;
      readonly closeReason?: string;
      /** Absent after a close when the feed will not retry (4604 with the same token: `onError` got `TOKEN_REVOKED`). */
      readonly retryInMs?: number;
    }
  | {
      /** Connected; fetching what was missed after `after` before going live. */
      readonly state: 'recovering';
      readonly after?: string;
    }
  | {
      /** Live: new messages arrive as they are sent. */
      readonly state: 'live';
      /** The node's GraphQL-over-HTTP URL. */
      readonly url: string;
      /**
       * Only after a resume (a reconnect, or a start from a stored cursor): `true` when everything
       * missed was delivered, `false` when retention had dropped some (`onGap` was called).
       */
      readonly recovered?: boolean;
      /** How many missed messages the resume delivered before going live. */
      readonly recoveredCount?: number;
    };

/** A gap: messages after `after` were dropped by retention before the feed could fetch them. */
export interface FeedGap {
  /** The cursor the feed tried to resume after. */
  readonly after: string;
}

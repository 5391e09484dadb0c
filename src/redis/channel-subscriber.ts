/**
 * What a {@link ChannelSubscriber} tells its users about gaps in live delivery: every user of a
 * subscriber (the bus, presence) hears them, because a dropped connection loses every channel on it.
 */
export interface GapEvents {
  /** The subscriptions are not in effect (the connection dropped); `resync` follows once they are. */
  suspend(): void;
  /**
   * Subscriptions were lost for a while and are in effect again (a connection came back, or channels
   * moved to another Redis primary): messages published meanwhile were missed, and history must
   * fill the gap. Fires only once the re-subscriptions are in effect.
   */
  resync(): void;
}

/** Receives the payloads published on one channel (parsed JSON, still unvalidated). */
export type ChannelListener = (payload: unknown) => void;

/**
 * The listening side of Redis pub/sub: the channels this node holds, kept subscribed on whichever
 * Redis server serves them, across reconnects and failovers. Made by the link (`link.ts`).
 */
export interface ChannelSubscriber {
  /** Connects. */
  start(): Promise<void>;
  /**
   * Resolves once messages published on `channel` from now on reach `listener`. Pass one listener
   * function for many channels rather than a closure per channel: the subscriber keeps it per channel.
   * @throws {RedisUnavailableError} when Redis did not confirm in time (the channel is then not held).
   */
  subscribe(channel: string, listener: ChannelListener): Promise<void>;
  /** Stops reporting `channel`. Never throws: Redis forgets a closed connection's channels anyway. */
  unsubscribe(channel: string): Promise<void>;
  /** True while every held channel is subscribed on a connected server. */
  ready(): boolean;
  close(): Promise<void>;
}

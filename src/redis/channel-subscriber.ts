/** What a {@link ChannelSubscriber} reports. */
export interface SubscriberEvents {
  /** A payload published on a subscribed channel (parsed JSON, still unvalidated). */
  message(payload: unknown): void;
  /**
   * Subscriptions were lost for a while and are in effect again (a connection came back, or channels
   * moved to another Redis primary): messages published meanwhile were missed, and history must
   * fill the gap. Fires only once the re-subscriptions are in effect.
   */
  resync(): void;
  /** The subscriptions are not in effect (the connection dropped); `resync` follows once they are. */
  suspend?(): void;
}

/**
 * The listening side of the Redis bus: the channels this node holds, kept subscribed on whichever
 * Redis server serves them, across reconnects and failovers.
 */
export interface ChannelSubscriber {
  /** Connects. */
  start(): Promise<void>;
  /**
   * Resolves once messages published on `channel` from now on are reported.
   * @throws {BusUnavailableError} when Redis did not confirm in time (the channel is then not held).
   */
  subscribe(channel: string): Promise<void>;
  /** Stops reporting `channel`. Never throws: Redis forgets a closed connection's channels anyway. */
  unsubscribe(channel: string): Promise<void>;
  /** True while every held channel is subscribed on a connected server. */
  ready(): boolean;
  close(): Promise<void>;
}

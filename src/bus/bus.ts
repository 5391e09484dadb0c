import type { Message } from '../domain/message.ts';

/** Receives every message the bus hands to this node. */
export type Deliver = (message: Message) => void;

/**
 * Moves messages between nodes. A bus only transports: which local sessions get a message is the
 * hub's business (see `engine/hub.ts`). Implementations: `memory` (one process) and `redis`.
 */
export interface Bus {
  /** Connects and starts delivering to `deliver`. */
  start(deliver: Deliver): Promise<void>;
  /**
   * Hands `message` to every node that holds a live subscription of `message.toUserId`.
   * @throws {BusUnavailableError} when the bus did not accept it; it is then not delivered.
   */
  publish(message: Message): Promise<void>;
  /** This node now holds `userId`: deliver their messages here. Resolves once that is in effect. */
  attach(userId: string): Promise<void>;
  /** This node no longer holds `userId`. */
  detach(userId: string): Promise<void>;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
}

/** The bus could not take a message or a subscription (connection down, timeout). */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
}

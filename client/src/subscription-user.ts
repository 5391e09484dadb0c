import type { ConnectionEnd } from './close-policy.ts';
import type { LinkUser } from './connector.ts';
import { fromWireErrors, type SwitchboardClientError } from './errors.ts';
import type { Link, WireRequest, WireResult } from './link.ts';

/** Receives a subscription's results. */
export interface SubscriptionSink<TData> {
  /** Each result's `data`. */
  next(data: TData): void;
  /** The server refused or ended the subscription with an error; it is over. */
  error?(error: SwitchboardClientError): void;
  /** The server completed the subscription; it is over. */
  complete?(): void;
}

/**
 * Any subscription other than the message feed (e.g. `presenceChanged`): started on every link with
 * the same variables, since such streams start with the current state and need no cursor.
 */
export class SubscriptionUser<TData> implements LinkUser {
  /** Called when the subscription is over for good, so the client can drop it. */
  onOver: () => void = () => {};

  constructor(
    private readonly request: WireRequest,
    private readonly sink: SubscriptionSink<TData>,
  ) {}

  connecting(): void {}

  detached(_end: ConnectionEnd): void {}

  stopped(error: SwitchboardClientError): void {
    this.onOver();
    this.sink.error?.(error);
  }

  attach(link: Link, signal: AbortSignal): void {
    let over = false;
    const cancel = link.subscribe(this.request, {
      next: (result: WireResult) => {
        if (over) return;
        if (result.errors !== undefined && result.errors.length > 0) {
          over = true;
          cancel();
          this.onOver();
          return this.sink.error?.(fromWireErrors('Cannot subscribe', result.errors));
        }
        if (result.data != null) this.sink.next(result.data as TData);
      },
      complete: () => {
        if (over) return;
        over = true;
        this.onOver();
        this.sink.complete?.();
      },
    });
    signal.addEventListener('abort', () => {
      over = true;
      cancel();
    }, { once: true });
  }
}

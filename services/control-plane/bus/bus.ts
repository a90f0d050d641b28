/**
 * The event bus: wakes claimers and tells live streams when to read the store. It
 * is never the source of truth, nor trusted with content: it carries notices (see
 * event-notices.ts), and whatever is delivered or acted on is read from the store.
 * Losing a message loses no work, because claimers also poll slowly and streams
 * re-read the store after their cursor. Two implementations: in-process (embedded
 * mode) and NATS. Subjects follow NATS syntax ('.'-separated tokens, '*' matches one
 * token, '>' matches the rest) in both.
 */
export interface Bus {
  readonly kind: "memory" | "nats";
  /** Fire and forget; called after the store has committed. */
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, options?: SubscribeOptions): Subscription;
  /** Drains subscriptions (readers still get what is buffered, then the end) and closes the connection. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  signal?: AbortSignal;
  /**
   * Messages buffered for a slow reader before the oldest are dropped (readers that
   * care about every message detect the gap by seq and re-read the store).
   */
  maxBuffered?: number;
}

export interface BusMessage {
  subject: string;
  data: Uint8Array;
}

export interface Subscription extends AsyncIterable<BusMessage> {
  /**
   * Resolves once the subscription is active end to end (for NATS: the server has it),
   * or once it has ended without getting there. Never rejects, so an un-awaited
   * `ready` cannot become an unhandled rejection.
   */
  readonly ready: Promise<void>;
  /** Messages dropped so far because the reader was too slow. */
  readonly dropped: number;
  /** Ends the iteration at once; what is still buffered is discarded. Leaving a `for await` loop does the same. */
  close(): void;
}

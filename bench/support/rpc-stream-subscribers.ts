import { Code, ConnectError } from "@connectrpc/connect";
import type { Clients } from "../../shared/clients.js";
import { wallClockMs, type StreamTally } from "./rpc-stream-tally.js";

export interface SubscribersOptions {
  /** The subscribers are spread round-robin over these client sets (one HTTP/2 connection each). */
  connections: Clients[];
  count: number;
  sessionId: string;
  afterSeq: bigint;
  tally: StreamTally;
  /** Aborting it ends every stream; that is the normal end. */
  signal: AbortSignal;
}

/**
 * `count` StreamEvents calls on one session, each feeding the tally as messages arrive.
 * Resolves once all have ended after the signal; rejects if a stream fails or ends
 * on its own, since a live stream only ends when its reader leaves.
 */
export async function runSubscribers(options: SubscribersOptions): Promise<void> {
  const { connections, count, sessionId, afterSeq, tally, signal } = options;
  await Promise.all(
    Array.from({ length: count }, async (_, subscriber) => {
      const { sessions } = connections[subscriber % connections.length]!;
      try {
        for await (const response of sessions.streamEvents({ sessionId, afterSeq }, { signal })) {
          const receivedAt = wallClockMs();
          if (response.message.case === "event") tally.event(subscriber, response.message.value, receivedAt);
          else tally.keepalives++;
        }
      } catch (error) {
        if (signal.aborted && ConnectError.from(error).code === Code.Canceled) return;
        throw new Error(`subscriber ${subscriber}'s stream failed: ${ConnectError.from(error).message}`);
      }
      if (!signal.aborted) throw new Error(`subscriber ${subscriber}'s stream ended although nobody left it; a live stream must stay open`);
    }),
  );
}

import { silentLogger, type Logger } from "../../../shared/log.js";
import type { Bus, BusMessage } from "./bus.js";
import { bufferedSubscription, type MessageSink } from "./buffered-subscription.js";
import { matches, parsePattern, publishSubjectProblem, type SubjectPattern } from "./subject-syntax.js";

export interface MemoryBusOptions {
  logger?: Logger;
}

/**
 * The in-process bus of embedded mode: NATS subject semantics without a server.
 * Delivery is synchronous into each subscriber's bounded buffer, so a publisher's
 * messages keep their order and a slow reader only ever loses its own oldest ones.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): Bus {
  const logger = options.logger ?? silentLogger;
  // Literal subjects are the common case (one session, one job, one queue): a map
  // lookup instead of matching every pattern on every publish.
  const literal = new Map<string, Set<MessageSink>>();
  const wildcard = new Map<MessageSink, SubjectPattern>();
  let closed = false;

  function add(sink: MessageSink, subject: string, pattern: SubjectPattern): void {
    if (!pattern.literal) return void wildcard.set(sink, pattern);
    const sinks = literal.get(subject) ?? new Set<MessageSink>();
    sinks.add(sink);
    literal.set(subject, sinks);
  }

  function remove(sink: MessageSink, subject: string): void {
    wildcard.delete(sink);
    const sinks = literal.get(subject);
    if (!sinks) return;
    sinks.delete(sink);
    if (sinks.size === 0) literal.delete(subject);
  }

  return {
    kind: "memory",

    publish(subject, data) {
      if (closed) return void logger.warn({ subject }, "bus: publish after close dropped; publish before closing the bus");
      const problem = publishSubjectProblem(subject);
      if (problem) return void logger.warn({ subject, problem }, "bus: message dropped, subject is not publishable");
      // One copy per publish: what a NATS reader sees cannot change under it either.
      const message: BusMessage = { subject, data: data.slice() };
      literal.get(subject)?.forEach((sink) => sink.deliver(message));
      if (wildcard.size === 0) return;
      const tokens = subject.split(".");
      for (const [sink, pattern] of wildcard) if (matches(pattern, tokens)) sink.deliver(message);
    },

    subscribe(subject, subscribeOptions = {}) {
      const pattern = parsePattern(subject);
      return bufferedSubscription(subscribeOptions, (sink) => {
        if (closed) {
          logger.warn({ subject }, "bus: subscribe after close; the subscription ends at once");
          sink.end();
        } else {
          add(sink, subject, pattern);
          void sink.ended.then(() => remove(sink, subject));
        }
        return { ready: Promise.resolve(), stop: () => remove(sink, subject) };
      });
    },

    async close() {
      closed = true;
      const sinks = [...wildcard.keys(), ...[...literal.values()].flatMap((set) => [...set])];
      wildcard.clear();
      literal.clear();
      for (const sink of sinks) sink.end();
    },
  };
}

import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { Dialect, Executor } from "./dialect/dialect.js";
import type { Settings } from "./settings.js";
import { appendEvents, type PendingEvent } from "./sql/append-events.js";
import type { Committed, EventDraft } from "./store.js";

/** What a store operation gets inside its write transaction. */
export interface WriteTx {
  readonly exec: Executor;
  readonly dialect: Dialect;
  readonly settings: Settings;
  /** The clock reading the transaction's state changes use. */
  readonly now: number;
  /** Queues an audit event; they are appended as the transaction's last statements. */
  emit(sessionId: string, draft: EventDraft): void;
}

/**
 * One mutation: state changes and their events in one transaction. The events go last
 * so that, on Postgres, the session row (which hands out seqs) stays locked for as
 * short a time as possible — and seq order is commit order within a session.
 */
export function mutate<T>(dialect: Dialect, settings: Settings, work: (tx: WriteTx) => Promise<T>): Promise<Committed<T>> {
  return dialect.write(async (exec) => {
    const pending: PendingEvent[] = [];
    const tx: WriteTx = {
      exec,
      dialect,
      settings,
      now: settings.now(),
      emit: (sessionId, draft) => pending.push({ sessionId, ...draft }),
    };
    const value = await work(tx);
    const events: Event[] = pending.length > 0 ? await appendEvents(exec, dialect.kind, pending, settings.now()) : [];
    return { value, events };
  });
}

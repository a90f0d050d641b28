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
export function mutate<T>(dialect: Dialect, settings: Settings, work: (tx: WriteTx) => Promise<T>, options: MutateOptions = {}): Promise<Committed<T>> {
  const pending: PendingEvent[] = [];
  let events: Event[] = [];
  // The append goes with COMMIT only when it is one statement that cannot find its session
  // missing (see MutateOptions); otherwise it is the work's last step, awaited before COMMIT.
  // Decided once per attempt, when the work has emitted everything.
  let withCommit = false;
  const append = async (exec: Executor) => {
    events = pending.length > 0 ? await appendEvents(exec, dialect.kind, pending, settings.now()) : [];
  };
  return dialect
    .write(
      async (exec) => {
        pending.length = 0;
        const tx: WriteTx = {
          exec,
          dialect,
          settings,
          now: settings.now(),
          emit: (sessionId, draft) => pending.push({ sessionId, ...draft }),
        };
        const value = await work(tx);
        withCommit = options.itemEvents === true && appendIsOneStatement(pending);
        if (!withCommit) await append(exec);
        return value;
      },
      (exec) => (withCommit ? append(exec) : Promise.resolve()),
    )
    .then((value) => ({ value, events }));
}

export interface MutateOptions {
  /**
   * The work emits only events about queue items, in their items' sessions: those sessions
   * exist (a foreign key), so appending cannot fail for a missing session after its
   * statement succeeded, and the append may go in one pipeline with COMMIT (Postgres).
   */
  itemEvents?: boolean;
}

/**
 * Events of one session, few enough for the single INSERT that appendEvents writes them
 * with on Postgres (its bound is 500 rows per statement; this stays well under it).
 */
function appendIsOneStatement(pending: PendingEvent[]): boolean {
  return pending.length > 0 && pending.length <= 100 && pending.every((event) => event.sessionId === pending[0]!.sessionId);
}

import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus } from "./bus/bus.js";
import { publishEvents } from "./bus/event-notices.js";
import type { Committed } from "./store/store.js";

/**
 * Awaits a store mutation, then announces its events on the bus (notices naming
 * the newest seq, not the events: readers fetch those from the store). The bus
 * only ever hears about committed state. Resolves to the mutation's value.
 */
export type Commit = <T>(mutation: Promise<Committed<T>>) => Promise<T>;

/**
 * `local` is handed the committed events themselves, as the store's transaction
 * returned them, before the bus hears of them: this process's live streams need
 * no store read for what it wrote (the session hub's offerCommitted).
 */
export function committer(bus: Bus, local?: (events: readonly Event[]) => void): Commit {
  return async (mutation) => {
    const { value, events } = await mutation;
    local?.(events);
    publishEvents(bus, events);
    return value;
  };
}

/** For mutations whose result *is* their events (plain appends). */
export async function committedEvents(commit: Commit, mutation: Promise<Committed<void>>): Promise<Event[]> {
  let appended: Event[] = [];
  await commit(mutation.then((committed) => ((appended = committed.events), committed)));
  return appended;
}

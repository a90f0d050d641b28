import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus } from "../kernel/bus/bus.js";
import { publishEvents } from "../kernel/bus/event-codec.js";
import type { Committed } from "../kernel/store/store.js";

/**
 * Awaits a store mutation, then publishes its events: the bus only ever hears
 * about committed state. Resolves to the mutation's value and its events.
 */
export type Commit = <T>(mutation: Promise<Committed<T>>) => Promise<T>;

export function committer(bus: Bus): Commit {
  return async (mutation) => {
    const { value, events } = await mutation;
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

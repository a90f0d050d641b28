import type {
  Event,
  ItemCancelled,
  ItemCancelRequested,
  ItemClaimed,
  ItemCompleted,
  ItemDeadLettered,
  ItemEnqueued,
  ItemFailed,
  ItemRequeued,
} from "../../../gen/pushpals/v1/events_pb.js";
import { QUEUES, type ItemQueue } from "./item-queues.js";

/** The message each queue-item transition carries. */
interface TransitionMessages {
  enqueued: ItemEnqueued;
  claimed: ItemClaimed;
  completed: ItemCompleted;
  failed: ItemFailed;
  requeued: ItemRequeued;
  deadLettered: ItemDeadLettered;
  cancelled: ItemCancelled;
  cancelRequested: ItemCancelRequested;
}

export type Transition = keyof TransitionMessages;

type PayloadCase = NonNullable<Event["payload"]["case"]>;
// Fails to compile if a queue × transition pair has no case in events.proto.
type ItemCase = `${"request" | "job" | "completion"}${Capitalize<Transition>}`;
const assertCasesExist: ItemCase extends PayloadCase ? true : never = true;
void assertCasesExist;

/** The event payload of `transition` on `queue`'s item: requestEnqueued, jobClaimed, completionCancelled, ... */
export function itemEvent<T extends Transition>(queue: ItemQueue, transition: T, value: TransitionMessages[T]): Event["payload"] {
  const eventCase: ItemCase = `${QUEUES[queue].eventPrefix}${capitalize(transition)}`;
  // The case/value pairing is what TransitionMessages states; TypeScript cannot follow a computed case.
  return { case: eventCase, value } as Event["payload"];
}

function capitalize<T extends string>(word: T): Capitalize<T> {
  return (word.charAt(0).toUpperCase() + word.slice(1)) as Capitalize<T>;
}

import { AutonomyMode, type AutonomyState } from "../../../../../gen/pushpals/v1/autonomy_pb.js";
import type { WriteTx } from "../../transaction.js";
import { cancel } from "../cancel.js";
import { writeMode, type SetModeInput } from "./autonomy-state.js";
import { openAutonomousItems } from "./settle.js";

/**
 * The switch. `off` is the kill switch: in the same transaction every pending autonomous
 * item is cancelled and every claimed one flagged (its holder stops on its next renewal),
 * and dispatch checks the switch in its own transaction, so nothing new starts once it commits.
 */
export async function setAutonomyMode(tx: WriteTx, input: SetModeInput): Promise<{ state: AutonomyState; cancelledItemIds: string[] }> {
  const cancelled: string[] = [];
  if (input.mode === AutonomyMode.OFF) {
    for (const itemId of await openAutonomousItems(tx.exec)) {
      await cancel(tx, { itemId, reason: `autonomy turned off by ${input.by}` });
      cancelled.push(itemId);
    }
  }
  return { state: await writeMode(tx, input, cancelled), cancelledItemIds: cancelled };
}

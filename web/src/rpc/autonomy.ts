import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AutonomyMode, type AutonomyState, type GetAutonomyStatusResponse } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { WebClients } from "./clients.js";

export type AutonomyAnswer = { available: true; status: GetAutonomyStatusResponse } | { available: false; reason: string };

/**
 * The autonomy view's status. A server built without AutonomyService (an older control plane,
 * or a proxy that routes only some services) answers Unimplemented (an HTTP 404 reads as that too): the view then says so
 * instead of showing an error, and every other view keeps working.
 */
export async function fetchAutonomyStatus(clients: Pick<WebClients, "autonomy">, signal?: AbortSignal): Promise<AutonomyAnswer> {
  try {
    return { available: true, status: await clients.autonomy.getAutonomyStatus({ objectivesLimit: 20 }, { signal }) };
  } catch (error) {
    const e = ConnectError.from(error);
    if (e.code === Code.Unimplemented) {
      return { available: false, reason: "this server has no AutonomyService" };
    }
    throw error;
  }
}

/** The page's switch: on, off, or frozen for `freezeMs`; `by` names the person in the audit event. */
export async function setAutonomyMode(clients: Pick<WebClients, "autonomy">, mode: AutonomyMode, by: string, freezeMs = 0): Promise<AutonomyState | undefined> {
  const freezeFor = mode === AutonomyMode.FROZEN ? create(DurationSchema, { seconds: BigInt(Math.round(freezeMs / 1000)) }) : undefined;
  const answer = await clients.autonomy.setAutonomyMode({ mode, freezeFor, by });
  return answer.state;
}

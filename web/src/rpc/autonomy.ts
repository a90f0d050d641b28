import * as z from "zod/mini";
import { currentToken } from "./token.js";

/**
 * The autonomy contracts (AutonomyService) are not in this build's gen/ yet, so the page calls
 * GetAutonomyStatus over the Connect JSON protocol by name and checks the answer's shape here.
 * A server without the service answers 404 / Unimplemented, and the view says it is not
 * available; once the service exists the same view shows it with no change on this side.
 */
const gate = z.object({ gate: z.string(), passed: z.optional(z.boolean()), reason: z.optional(z.string()) });
const candidate = z.object({
  kind: z.optional(z.string()),
  target: z.optional(z.string()),
  title: z.optional(z.string()),
  score: z.optional(z.number()),
  risk: z.optional(z.number()),
  skipped: z.optional(z.string()),
});
const objective = z.object({
  id: z.string(),
  title: z.optional(z.string()),
  kind: z.optional(z.string()),
  score: z.optional(z.number()),
  status: z.optional(z.string()),
  outcome: z.optional(z.string()),
});
export const autonomyStatus = z.object({
  state: z.optional(z.object({ mode: z.optional(z.string()), frozenUntil: z.optional(z.string()), updatedBy: z.optional(z.string()) })),
  evaluation: z.optional(
    z.object({ summary: z.optional(z.string()), health: z.optional(z.string()), gates: z.optional(z.array(gate)), candidates: z.optional(z.array(candidate)) }),
  ),
  objectives: z.optional(z.array(objective)),
});
export type AutonomyStatus = z.infer<typeof autonomyStatus>;

export type AutonomyAnswer = { available: true; status: AutonomyStatus } | { available: false; reason: string };

export async function fetchAutonomyStatus(baseUrl: string, signal?: AbortSignal): Promise<AutonomyAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json", "connect-protocol-version": "1" };
  const token = currentToken();
  if (token !== "") headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/pushpals.v1.AutonomyService/GetAutonomyStatus`, { method: "POST", headers, body: JSON.stringify({ objectivesLimit: 20 }), signal });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const code = z.safeParse(z.object({ code: z.string() }), body);
    if (response.status === 404 || (code.success && code.data.code === "unimplemented")) {
      return { available: false, reason: "this server has no AutonomyService (the autonomy contracts are not part of this build)" };
    }
    throw new Error(`GetAutonomyStatus answered HTTP ${response.status}${code.success ? ` (${code.data.code})` : ""}`);
  }
  const parsed = z.safeParse(autonomyStatus, body);
  if (!parsed.success) throw new Error(`GetAutonomyStatus answered an unexpected shape: ${parsed.error.message}`);
  return { available: true, status: parsed.data };
}

import { z } from "zod";

/** Where services find each other when each runs in its own process (mesh mode). */
export const meshSection = z.strictObject({
  /** The control plane every other service talks to. */
  controlPlaneUrl: z.string().default(""),
  /** Services whose RPCs the control plane forwards, so clients need one URL only. */
  chatUrl: z.string().default(""),
  plannerUrl: z.string().default(""),
  integrationUrl: z.string().default(""),
});

export const meshEnv = {
  PUSHPALS_CONTROL_PLANE_URL: "mesh.controlPlaneUrl",
  PUSHPALS_CHAT_URL: "mesh.chatUrl",
  PUSHPALS_PLANNER_URL: "mesh.plannerUrl",
  PUSHPALS_INTEGRATION_URL: "mesh.integrationUrl",
} as const;

import { z } from "zod";
import { agentEnv, agentSection } from "./sections/agent.js";
import { approvalsEnv, approvalsSection } from "./sections/approvals.js";
import { autonomyEnv, autonomySection } from "./sections/autonomy.js";
import { busEnv, busSection } from "./sections/bus.js";
import { environmentEnv, environmentSection } from "./sections/environment.js";
import { integrationEnv, integrationSection } from "./sections/integration.js";
import { llmEnv, llmSection } from "./sections/llm.js";
import { meshEnv, meshSection } from "./sections/mesh.js";
import { observabilityEnv, observabilitySection } from "./sections/observability.js";
import { policyEnv, policySection } from "./sections/policy.js";
import { queuesEnv, queuesSection } from "./sections/queues.js";
import { repoEnv, repoSection } from "./sections/repo.js";
import { serverEnv, serverSection } from "./sections/server.js";
import { storageEnv, storageSection } from "./sections/storage.js";
import { runnerEnv, runnerSection } from "./sections/runner.js";

export const configSchema = z.strictObject({
  profile: z.string().default("default"),
  server: serverSection.prefault({}),
  storage: storageSection.prefault({}),
  bus: busSection.prefault({}),
  repo: repoSection.prefault({}),
  queues: queuesSection.prefault({}),
  runner: runnerSection.prefault({}),
  llm: llmSection.prefault({}),
  agent: agentSection.prefault({}),
  integration: integrationSection.prefault({}),
  mesh: meshSection.prefault({}),
  policy: policySection.prefault({}),
  observability: observabilitySection.prefault({}),
  environment: environmentSection.prefault({}),
  approvals: approvalsSection.prefault({}),
  autonomy: autonomySection.prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** Environment variable → config path (camelCase, dotted). */
export const ENV_MAP: Record<string, string> = {
  PUSHPALS_PROFILE: "profile",
  ...serverEnv,
  ...storageEnv,
  ...busEnv,
  ...repoEnv,
  ...queuesEnv,
  ...runnerEnv,
  ...llmEnv,
  ...agentEnv,
  ...integrationEnv,
  ...meshEnv,
  ...policyEnv,
  ...observabilityEnv,
  ...environmentEnv,
  ...approvalsEnv,
  ...autonomyEnv,
};

import { z } from "zod";

export const integrationSection = z.strictObject({
  branch: z.string().min(1).default("main_agents"),
  strategy: z.enum(["cherry-pick", "no-ff", "ff-only"]).default("cherry-pick"),
  /** Remote to push to; empty means do not push. */
  remote: z.string().default("origin"),
  checks: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        command: z.string().min(1),
        timeoutSeconds: z.coerce.number().min(1).max(86400).default(600),
      }),
    )
    .default([]),
  /** After this many conflicts for the same work, ask the person instead of repairing again. */
  maxConflictRounds: z.coerce.number().int().min(0).max(20).default(2),
  pullRequests: z
    .object({
      provider: z.enum(["none", "github"]).default("none"),
      /** owner/name; empty means derive from the remote URL. */
      repository: z.string().default(""),
      apiUrl: z.string().default("https://api.github.com"),
      token: z.string().default(""),
    })
    .prefault({}),
});

export const integrationEnv = {
  PUSHPALS_INTEGRATION_BRANCH: "integration.branch",
  PUSHPALS_MERGE_STRATEGY: "integration.strategy",
  PUSHPALS_GIT_REMOTE: "integration.remote",
  PUSHPALS_GITHUB_TOKEN: "integration.pullRequests.token",
} as const;

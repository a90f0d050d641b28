import { z } from "zod";

/** Names git would read as an option (e.g. `--upload-pack=…`) are refused here; git check-ref-format runs at start-up. */
const notAnOption = (field: string) =>
  z
    .string()
    .min(1)
    .refine((v) => !v.startsWith("-"), `${field} must not start with "-" (git would read it as an option)`);

export const integrationSection = z.strictObject({
  branch: notAnOption("branch").default("main_agents"),
  strategy: z.enum(["cherry-pick", "no-ff", "ff-only"]).default("cherry-pick"),
  /** Remote to push to; empty means do not push. */
  remote: z
    .string()
    .default("origin")
    .refine((v) => v === "" || /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v), "must be empty (no push) or a remote name such as origin"),
  /**
   * Token for pushing over HTTPS, handed to git through GIT_ASKPASS and the environment (never argv).
   * Empty falls back to pullRequests.token; SSH remotes use the ssh agent instead.
   */
  pushToken: z.string().default(""),
  /** User name git sends with the push token (GitHub accepts any; x-access-token is its convention). */
  pushUsername: z.string().min(1).default("x-access-token"),
  /** Identity of the commits integration itself makes (merge commits, sync merges, notes). */
  committerName: z.string().min(1).default("PushPals Integration"),
  committerEmail: z.string().min(1).default("pushpals@localhost"),
  /**
   * Commands run on every merge before it is pushed. Unset: the repository's test command, detected
   * (package.json scripts.test, pytest, go.mod, Cargo.toml, a Makefile test target); `[]`: none.
   */
  checks: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        command: z.string().min(1),
        timeoutSeconds: z.coerce.number().min(1).max(86400).default(600),
      }),
    )
    .optional(),
  /**
   * Repair jobs one piece of work may get: each conflict enqueues a repair job until this
   * many conflicts have been repaired; the next conflict asks the person instead (0: always ask).
   */
  maxConflictRounds: z.coerce.number().int().min(0).max(20).default(2),
  /** Lease on a claimed completion, renewed every third of it while the merge and its checks run. */
  leaseSeconds: z.coerce.number().min(3).max(3600).default(60),
  /**
   * Where checks run: "runner" = the sandbox driver of [runner] (driver), a driver
   * name to choose another, or "host" = directly on this host (no sandbox; tests, trusted use).
   */
  checkDriver: z.enum(["runner", "host", "auto", "process", "bwrap", "docker", "kubernetes"]).default("runner"),
  /** Whether sandboxed checks may reach the network (e.g. to install dependencies). */
  checkNetwork: z.boolean().default(false),
  /**
   * Delete a job's agent/<worker>/<job> branch once its completion is merged (or already was),
   * finally failed or refused; a completion being retried or repaired keeps it.
   */
  deleteJobBranches: z.boolean().default(true),
  pullRequests: z
    .strictObject({
      provider: z.enum(["none", "github"]).default("none"),
      /** owner/name; empty means derive from the remote URL. */
      repository: z
        .string()
        .default("")
        .refine((v) => v === "" || /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(v), "must be empty or owner/name"),
      apiUrl: z.string().default("https://api.github.com"),
      token: z.string().default(""),
    })
    .prefault({}),
});

export const integrationEnv = {
  PUSHPALS_INTEGRATION_BRANCH: "integration.branch",
  PUSHPALS_MERGE_STRATEGY: "integration.strategy",
  PUSHPALS_GIT_REMOTE: "integration.remote",
  PUSHPALS_GIT_PUSH_TOKEN: "integration.pushToken",
  PUSHPALS_GITHUB_TOKEN: "integration.pullRequests.token",
  PUSHPALS_CHECK_DRIVER: "integration.checkDriver",
} as const;

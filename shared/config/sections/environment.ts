import { z } from "zod";
import { onOff } from "../on-off.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const envName = z.string().regex(ENV_NAME, "must be an environment variable name (letters, digits, _)");

const command = z
  .string()
  .trim()
  .min(1, "must be a non-empty shell command")
  .refine((v) => !v.includes("\0"), "must not contain NUL bytes");

/**
 * A path the setup phase fills and the dependency cache keeps: relative to the repository root
 * (node_modules, .venv) or to the sandbox's home (~/.cache/pip). Never absolute, never leaving
 * its root: the cache copies it in and out on the host.
 */
export const cachePath = z
  .string()
  .min(1)
  .refine((v) => !v.startsWith("/"), "cache paths are relative to the repository root (node_modules) or start with ~/ (~/.cache/pip); drop the leading /")
  .refine((v) => !v.split("/").some((part) => part === ".."), "must not contain .. (a cache path stays inside the worktree or the sandbox's home)")
  .refine((v) => v !== "~" && v !== "~/" && v !== "." && v !== "./", "name a directory inside the root, not the root itself")
  .refine((v) => !/[\u0000-\u001f]/.test(v), "must not contain control characters")
  .refine((v) => !/^(\.\/)?\.git(\/|$)/.test(v), "must not be .git");

/** The fields of an environment, shared by [environment] in config and .pushpals/environment.toml. */
export const environmentFields = {
  /** Commands run in order by the setup phase, with network, before the agent; a failure fails the job. */
  setup: z.array(command).max(50),
  /**
   * Names of the runner's environment variables passed to setup commands only (a registry token);
   * gone before the first agent command. From a repository's file, only names the operator lists
   * in environment.secretAllowList are passed.
   */
  setupSecrets: z.array(envName).max(50).default([]),
  /** Run instead of setup when a cached environment is reused (its lockfiles unchanged). */
  maintenance: z.array(command).max(50).default([]),
  /** What setup produces and the dependency cache keeps between jobs. */
  cache: z.array(cachePath).max(50).default([]),
  /** The sandbox image for docker (and kubernetes) jobs of this repository; empty: the driver's. */
  image: z.string().trim().max(300).default(""),
  /** Variables set for the agent phase's commands (and setup's). */
  env: z.record(envName, z.string().max(64 * 1024)).default({}),
  /** The setup phase's own time budget (all its commands together). */
  setupBudgetSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(6 * 3600)
    .default(900),
};

/**
 * [environment] in config: the job environment of repositories without their own
 * .pushpals/environment.toml. Without `setup` the runner detects one from the lockfiles.
 */
export const environmentSection = z.strictObject({
  ...environmentFields,
  setup: environmentFields.setup.optional(),
  /** The only variables a repository's .pushpals/environment.toml may name as setup_secrets. */
  secretAllowList: z.array(envName).default([]),
  /** false: no setup phase at all, not even a detected one. */
  enabled: onOff.default(true),
});

export type EnvironmentSection = z.infer<typeof environmentSection>;

export const environmentEnv = {
  PUSHPALS_ENVIRONMENT_ENABLED: "environment.enabled",
} as const;

import { z } from "zod";

const MiB = 1024 * 1024;

/**
 * What no job may change, whatever its plan says: git's own metadata, CI definitions that run
 * with the repository's secrets, and the files that make git run programs or fetch from URLs.
 */
// .pushpals/environment.toml: its setup commands run with network, so an agent must not write them.
export const DEFAULT_FORBIDDEN_GLOBS = [
  "**/.git",
  "**/.git/**",
  ".github/workflows/**",
  ".gitlab-ci.yml",
  "**/.gitmodules",
  "**/.gitattributes",
  ".pushpals/environment.toml",
] as const;

const glob = z
  .string()
  .min(1)
  .refine((v) => !v.startsWith("/"), "globs are relative to the repository root; drop the leading /")
  .refine((v) => !/[\u0000-\u001f]/.test(v), "must not contain control characters");

/**
 * The operator's change policy: the runner applies it before staging and integration again
 * before merging. A plan's write scope can only narrow it.
 */
export const policySection = z.strictObject({
  /** picomatch globs (dot files included, case ignored) no change may touch, deletions included. */
  forbiddenGlobs: z.array(glob).default([...DEFAULT_FORBIDDEN_GLOBS]),
  /** Added to forbiddenGlobs, so an operator can forbid more without restating the defaults. */
  extraForbiddenGlobs: z.array(glob).default([]),
  /** none: no symlink at all; inside: only targets that stay in the worktree and out of .git; any: no check (trusted use). */
  symlinks: z.enum(["none", "inside", "any"]).default("inside"),
  /** Whether a change may add or move a gitlink (a submodule entry, mode 160000; a nested repository in the worktree). */
  allowGitlinks: z.boolean().default(false),
  /** Largest file (or symlink) a change may add or modify. */
  maxFileBytes: z.coerce
    .number()
    .int()
    .min(1)
    .max(4096 * MiB)
    .default(5 * MiB),
  /** Total bytes of every file a change adds or modifies. */
  maxChangeBytes: z.coerce
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * MiB)
    .default(50 * MiB),
  /** Paths one change may add, modify or delete. */
  maxChangedFiles: z.coerce.number().int().min(1).max(10_000_000).default(5000),
});

export type PolicySection = z.infer<typeof policySection>;

export const policyEnv = {
  PUSHPALS_POLICY_SYMLINKS: "policy.symlinks",
  PUSHPALS_POLICY_MAX_FILE_BYTES: "policy.maxFileBytes",
  PUSHPALS_POLICY_MAX_CHANGE_BYTES: "policy.maxChangeBytes",
  PUSHPALS_POLICY_MAX_CHANGED_FILES: "policy.maxChangedFiles",
} as const;

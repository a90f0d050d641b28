import { z } from "zod";

export const repoSection = z.strictObject({
  /** The git repository PushPals works on; empty means the current directory. */
  path: z.string().default(""),
  /** The branch jobs start from and PRs target. */
  baseBranch: z.string().min(1).default("main"),
});

export const repoEnv = {
  PUSHPALS_REPO: "repo.path",
  PUSHPALS_BASE_BRANCH: "repo.baseBranch",
} as const;

import { isAbsolute } from "node:path";
import { invalidArgument } from "../../../shared/errors.js";
import { runGit } from "./run-git.js";
import { clipEnd } from "../../../shared/text/clip.js";

/**
 * Boundary checks for everything that reaches a git command line. Each failure is an
 * InvalidArgument naming the field, so a hostile or broken value is refused before any
 * git call sees it.
 */

const SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

export function assertCommitSha(field: string, value: string): string {
  if (!SHA.test(value)) {
    throw invalidArgument(field, `${quote(value)} is not a full commit id (40 or 64 lower-case hex digits); pass the sha git rev-parse prints`);
  }
  return value;
}

/** A branch name git accepts and no git command could read as an option or revision expression. */
export async function assertBranchName(field: string, value: string): Promise<string> {
  if (value === "") throw invalidArgument(field, "is empty; name a branch such as main");
  if (value.startsWith("-")) {
    throw invalidArgument(field, `${quote(value)} starts with "-" and would be read as a git option; rename the branch`);
  }
  if (value.includes("@{") || /[\u0000-\u001f\u007f]/.test(value)) {
    throw invalidArgument(field, `${quote(value)} is not a valid branch name; use letters, digits and / - _ .`);
  }
  // Plain refname syntax check (no --branch: that would expand @{-1} against a repository).
  const { exitCode } = await runGit(["check-ref-format", `refs/heads/${value}`], { cwd: "/", okCodes: [1] });
  if (exitCode !== 0) {
    throw invalidArgument(field, `${quote(value)} is not a valid branch name (git check-ref-format); use letters, digits and / - _ .`);
  }
  return value;
}

/** A path inside the repository: relative, no "..", no control characters. */
export function assertRepoPath(field: string, value: string): string {
  if (value === "" || isAbsolute(value) || value.split(/[\\/]/).includes("..") || /[\u0000-\u001f]/.test(value)) {
    throw invalidArgument(field, `${quote(value)} must be a relative path inside the repository without ".." segments`);
  }
  return value;
}

function quote(value: string): string {
  return JSON.stringify(clipEnd(value, 121));
}

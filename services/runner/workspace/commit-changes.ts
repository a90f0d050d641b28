import type { JobWorkspace } from "./job-workspace.js";
import { worktreeGit } from "./worktree-git.js";

export interface CommitIdentity {
  name: string;
  email: string;
}

export interface CommitMessage {
  subject: string;
  body: string;
  /** Trailer lines ("Key: value"), the message's last paragraph. */
  trailers: string[];
}

/**
 * Commits a staged tree as one commit on top of the job's base and points the job's branch at
 * it. Plumbing, not `git commit`: the parent is always the base and the branch is always the
 * job's, whatever a command did to HEAD or to the branch (possible without isolation), and no
 * hook or signing program runs.
 */
export async function commitTree(workspace: JobWorkspace, tree: string, message: CommitMessage, identity: CommitIdentity, signal?: AbortSignal): Promise<string> {
  const { git, args } = worktreeGit(workspace, {
    ...(signal ? { signal } : {}),
    config: [`user.name=${identity.name}`, `user.email=${identity.email}`, "commit.gpgSign=false"],
  });
  const paragraphs = [message.subject, message.body, message.trailers.join("\n")].filter((text) => text.trim() !== "");
  const sha = (await git.raw(args("commit-tree", tree, "-p", workspace.baseSha, ...paragraphs.flatMap((text) => ["-m", text])))).trim();
  await git.raw(args("update-ref", "-m", `pushpals: ${message.subject}`, `refs/heads/${workspace.branch}`, sha));
  return sha;
}

/** The patch from the base to `sha`, cut at `maxBytes` (with a note saying so). */
export async function diffOf(workspace: JobWorkspace, sha: string, maxBytes: number): Promise<string> {
  const { git, args } = worktreeGit(workspace);
  const patch = await git.raw(args("diff-tree", "-p", "--stat", "--no-color", workspace.baseSha, sha));
  if (Buffer.byteLength(patch) <= maxBytes) return patch;
  const cut = Buffer.from(patch).subarray(0, maxBytes).toString("utf8");
  return `${cut}\n[diff cut at ${maxBytes} bytes of ${Buffer.byteLength(patch)}; fetch the branch to see all of it]\n`;
}

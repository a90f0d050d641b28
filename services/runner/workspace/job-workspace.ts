/** A job's git worktree, as the runner made it. */
export interface JobWorkspace {
  /** Host path of the worktree (what the sandbox mounts). */
  path: string;
  /** agent/<worker>/<job> */
  branch: string;
  /** The commit the branch was (re)set to. */
  baseSha: string;
  /**
   * The worktree's own git directory (<repo>/.git/worktrees/<name>), read when the worktree was
   * made. Later git calls name it explicitly instead of trusting the `.git` file in the worktree,
   * which a command in an unisolated sandbox could rewrite.
   */
  gitDir: string;
}

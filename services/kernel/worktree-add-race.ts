import { errorMessage } from "./errors.js";

/**
 * git's words when `worktree add` lost a race in a repository other gits work in too: between
 * creating .git/worktrees and the entry inside it, a `worktree remove` or `prune` of the last
 * entry removed the then-empty directory. git stops before it has made anything, so running
 * the add again is safe. (The runner's pool, its job clean-up and the integration worker all
 * add and remove worktrees of the person's repository.)
 */
const LOST_THE_WORKTREES_DIR = /could not create (?:leading directories|directory) of '[^']*worktrees\//;
const ATTEMPTS = 3;

/**
 * Runs `add` (a `git worktree add`), again when it lost that race; other failures pass through.
 * With a new branch, use -B, not -b: git makes the branch before it loses the race.
 */
export async function addWorktreeRetryingRace<T>(add: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await add();
    } catch (error) {
      if (attempt >= ATTEMPTS || !LOST_THE_WORKTREES_DIR.test(errorMessage(error))) throw error;
    }
  }
}

import { errorMessage } from "./errors.js";
import { sleep } from "./time.js";

/**
 * git's words when a worktree command ran into another git's work on the same repository's
 * worktree records, which git does not lock (the runner's pool, its job clean-up and the
 * integration worker all add, move and remove worktrees of the person's repository):
 * - an add, when a `worktree remove` or `prune` of the last entry removed the then-empty
 *   .git/worktrees between the add's two mkdirs;
 * - any command that lists worktrees (remove, move), when it read an entry another add was
 *   still writing.
 * Either way the command stopped before it changed anything, so running it again is safe.
 */
const RACES = [/could not create (?:leading directories|directory) of '[^']*worktrees\//, /failed to read \S*worktrees\/[^/\s]+\/(?:commondir|gitdir)\b/];
const ATTEMPTS = 5;
const PAUSE_MS = 25;

/**
 * Runs `command` (a `git worktree …`), again after a short pause when it lost one of those
 * races; other failures pass through at once. With a new branch use -B, not -b: git makes
 * the branch before an add can lose the race.
 */
export async function retryingWorktreeRace<T>(command: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await command();
    } catch (error) {
      const message = errorMessage(error);
      if (attempt >= ATTEMPTS || !RACES.some((race) => race.test(message))) throw error;
      await sleep(PAUSE_MS * attempt);
    }
  }
}

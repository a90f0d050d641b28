import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { errorMessage } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { changedPaths, commonControlFiles, restore, snapshot, worktreeControlFiles, type Snapshot } from "./git-control-files.js";
import { JobFailure } from "./job-failure.js";

/** One job's watch, from before its first command. */
export interface GitDirWatch {
  /**
   * After the job's last command: puts back whatever changed in the git control files since the
   * job began and returns the failure that names them (undefined when nothing changed). Never
   * throws; a second call returns undefined.
   */
  check(): Promise<JobFailure | undefined>;
}

export interface GitDirGuard {
  /** Before the job's first command, on its worktree's own git directory (<repo>/.git/worktrees/<name>). */
  watch(job: { jobId: string; gitDir: string }, logger: Logger): Promise<GitDirWatch>;
}

/** What the jobs running on one repository share: the control files as they were before any of them ran. */
interface RepositoryState {
  baseline: Snapshot | undefined;
  /** Each running job, with what changed while it ran. */
  running: Map<string, { changed: Set<string>; alongsideOthers: boolean }>;
}

/**
 * The job-level guard over a repository's git control files. A command in a process sandbox can
 * write the person's <repo>/.git (hooks, core.fsmonitor, filters) and so run programs later in
 * PushPals' git and the person's own; bwrap and docker mount .git read-only, and the check is
 * cheap, so it runs for every driver. Files are fingerprinted before a job's first command and
 * after its last; what changed is restored and the job fails for good naming it.
 *
 * Jobs of one runner run side by side on one repository, and without isolation nothing tells
 * which of them wrote a file: the baseline is taken when the first of them begins (a change the
 * person makes between jobs is kept), and a change found at the end of one fails every job that
 * was running while it could have been made.
 */
export function gitDirGuard(repo: string): GitDirGuard {
  const repositories = new Map<string, RepositoryState>();
  let queue: Promise<unknown> = Promise.resolve();
  /** One snapshot or restore at a time: a job beginning must not fingerprint a half-restored file. */
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const shown = (path: string) => {
    const inRepo = relative(repo, path);
    return inRepo && !inRepo.startsWith("..") && !isAbsolute(inRepo) ? inRepo : path;
  };

  return {
    async watch({ jobId, gitDir }, logger) {
      const ownFiles = worktreeControlFiles(gitDir);
      const { commonDir, state, own } = await serially(async () => {
        const commonDir = resolve(gitDir, (await readFile(resolve(gitDir, "commondir"), "utf8")).trim());
        const state = repositories.get(commonDir) ?? { baseline: undefined, running: new Map() };
        repositories.set(commonDir, state);
        if (state.running.size === 0) state.baseline = await snapshot(commonControlFiles(commonDir), { keepContent: true });
        state.running.set(jobId, { changed: new Set(), alongsideOthers: false });
        return { commonDir, state, own: await snapshot(ownFiles, { keepContent: true }) };
      });
      let checked = false;

      return {
        check: () =>
          serially(async () => {
            if (checked) return undefined;
            checked = true;
            const mine = state.running.get(jobId)!;
            try {
              const baseline = state.baseline!;
              const common = changedPaths(baseline, await snapshot(commonControlFiles(commonDir), { keepContent: false }));
              if (common.length > 0) {
                await restore(baseline, common);
                const jobs = [...state.running.keys()];
                logger.error(
                  { files: common.map(shown), jobs },
                  "git control files of the repository changed while jobs ran; restored them, and every job that was running fails (if you changed them yourself, make the change again while no job runs)",
                );
                for (const job of state.running.values()) {
                  common.forEach((path) => job.changed.add(path));
                  job.alongsideOthers ||= jobs.length > 1;
                }
              }
              const ownChanged = changedPaths(own, await snapshot(ownFiles, { keepContent: false }));
              if (ownChanged.length > 0) {
                await restore(own, ownChanged);
                logger.error({ files: ownChanged.map(shown) }, "the job's worktree git files changed; restored them");
                ownChanged.forEach((path) => mine.changed.add(path));
              }
              return mine.changed.size === 0 ? undefined : tamperFailure([...mine.changed].sort().map(shown), mine.alongsideOthers);
            } catch (error) {
              logger.error({ err: error, commonDir }, "could not check or restore the repository's git control files; look at them by hand");
              return new JobFailure(
                `could not check or restore the git control files of ${commonDir} after the job (${errorMessage(error)}); ` +
                  "look at its config, hooks and info by hand before running git there",
                "final",
                { cause: error },
              );
            } finally {
              state.running.delete(jobId);
              if (state.running.size === 0) state.baseline = undefined;
            }
          }),
      };
    },
  };
}

function tamperFailure(files: string[], alongsideOthers: boolean): JobFailure {
  const who = alongsideOthers ? "the job, or another job running at the same time," : "the job";
  const others = alongsideOthers ? "; another job running at the same time may have made the change (the process driver cannot tell whose it was), so each of them fails" : "";
  return new JobFailure(
    `${who} changed the repository's git control files, which can make git run programs or change what is merged: ${files.join(", ")}; ` +
      `they are restored as they were before the job, and nothing of the job is kept${others}`,
    "final",
  );
}

import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { copyFile, mkdir, open, rename, rm, rmdir, unlink } from "node:fs/promises";
import { join, sep } from "node:path";
import { hostGit } from "../shared/git/host-git.js";
import type { Logger } from "../shared/log.js";
import { removeDataDirExclude } from "./exclude-data-dir.js";

/** Where PushPals kept its data before the data dir moved out of the repository. */
export function legacyDataDir(repo: string): string {
  return join(repo, ".pushpals");
}

export type Migration = { kind: "none" } | { kind: "moved"; from: string; to: string } | { kind: "both"; legacy: string; current: string };

const DB = "pushpals.db";

/**
 * Moves the SQLite database of an older PushPals from <repo>/.pushpals to the data dir, once:
 * the write-ahead log is folded into the file first, so one rename (or a copy renamed into
 * place, across file systems) moves all of it, and the old file goes only after the new one is
 * complete. What the old runner and integration left there (worktrees, a lock) is removed;
 * anything else (a person's committed .pushpals/environment.toml) stays.
 */
export async function migrateLegacyDataDir(options: { repo: string; dataDir: string; logger: Logger }): Promise<Migration> {
  const { repo, dataDir, logger } = options;
  const legacy = legacyDataDir(repo);
  const from = join(legacy, DB);
  const to = join(dataDir, DB);
  if (dataDir === legacy || !existsSync(from)) return { kind: "none" };
  if (existsSync(to)) {
    logger.warn({ legacy: from, current: to }, `both ${from} and ${to} exist; using ${to} and leaving the old one alone (delete ${from} once you no longer need it)`);
    return { kind: "both", legacy: from, current: to };
  }
  foldWriteAheadLog(from);
  await mkdir(dataDir, { recursive: true });
  await moveFile(from, to);
  logger.info({ from, to }, `moved the database from ${from} to ${to}: PushPals keeps its data outside the repository now`);
  await removeOldWorkspaces(repo, legacy, logger);
  await removeDataDirExclude(repo, legacy);
  await rmdir(legacy).catch(() => undefined); // only when nothing else is left in it
  return { kind: "moved", from, to };
}

/**
 * Checkpoints the WAL into the database file and truncates it, so the file alone holds every
 * committed transaction. A writer still holding the database (an older PushPals still running)
 * keeps the checkpoint from completing: then nothing is moved.
 */
function foldWriteAheadLog(file: string): void {
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  try {
    const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number; log: number; checkpointed: number }[];
    if (result && result.busy !== 0) {
      throw new Error(`${file} is in use (is an older pushpals up still running on this repository?); stop it and start again to move the database`);
    }
    // Back to a rollback journal: the file is complete on its own, with no -wal to lose on the way.
    db.pragma("journal_mode = DELETE");
  } finally {
    db.close();
  }
  if (existsSync(`${file}-wal`)) throw new Error(`${file}-wal is still there after a checkpoint; stop whatever holds ${file} and start again`);
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
  }
  // Another file system: a complete, synced copy appears under the final name in one rename.
  const partial = `${to}.moving-${process.pid}`;
  await copyFile(from, partial);
  const handle = await open(partial, "r");
  await handle.sync().finally(() => handle.close());
  await rename(partial, to);
  await unlink(from);
}

/** The old job worktrees, warm spares and integration worktree: git's records of them first, then the folders. */
async function removeOldWorkspaces(repo: string, legacy: string, logger: Logger): Promise<void> {
  const listed = await hostGit(repo, ["worktree", "list", "--porcelain"]).catch(() => "");
  const inside = listed
    .split("\n")
    .filter((line) => line.startsWith("worktree "))
    .map((line) => line.slice("worktree ".length))
    .filter((path) => path.startsWith(legacy + sep));
  for (const path of inside) {
    await hostGit(repo, ["worktree", "remove", "--force", "--force", path]).catch((error: Error) =>
      logger.warn({ err: error, worktree: path }, `could not remove the old worktree ${path}; remove it with git worktree remove --force`),
    );
  }
  await hostGit(repo, ["worktree", "prune"]).catch(() => undefined);
  for (const name of ["worktrees", "integration", "integration.lock", "askpass.sh"]) {
    const path = join(legacy, name);
    if (existsSync(path)) await rm(path, { recursive: true, force: true });
  }
  if (inside.length > 0) logger.info({ removed: inside }, `removed ${inside.length} old worktree(s) under ${legacy}`);
}

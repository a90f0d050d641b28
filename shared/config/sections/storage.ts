import { z } from "zod";

export const storageSection = z.strictObject({
  /**
   * Where PushPals keeps its SQLite file, locks and credentials helper; empty means the XDG state
   * dir, <$XDG_STATE_HOME or ~/.local/state>/pushpals/<repo-name>-<hash> (see data-dir.ts).
   */
  dataDir: z.string().default(""),
  /**
   * Where job worktrees, warm spares and the integration worktree live; empty means the data dir
   * when its path has no dot directory, else /var/tmp/pushpals-<uid>/<repo-name>-<hash>.
   */
  workDir: z.string().default(""),
  /** Empty means an SQLite file in the data dir; postgres://… means Postgres. */
  databaseUrl: z
    .string()
    .default("")
    .refine((v) => v === "" || /^postgres(ql)?:\/\//.test(v), "must be empty (SQLite) or a postgres:// URL"),
});

export const storageEnv = {
  PUSHPALS_DATA_DIR: "storage.dataDir",
  PUSHPALS_WORK_DIR: "storage.workDir",
  PUSHPALS_DATABASE_URL: "storage.databaseUrl",
} as const;

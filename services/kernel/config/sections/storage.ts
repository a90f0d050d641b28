import { z } from "zod";

export const storageSection = z.strictObject({
  /** Where PushPals keeps its SQLite file, worktrees and artifacts; empty means <repo>/.pushpals. */
  dataDir: z.string().default(""),
  /** Empty means an SQLite file in the data dir; postgres://… means Postgres. */
  databaseUrl: z
    .string()
    .default("")
    .refine((v) => v === "" || /^postgres(ql)?:\/\//.test(v), "must be empty (SQLite) or a postgres:// URL"),
});

export const storageEnv = {
  PUSHPALS_DATA_DIR: "storage.dataDir",
  PUSHPALS_DATABASE_URL: "storage.databaseUrl",
} as const;

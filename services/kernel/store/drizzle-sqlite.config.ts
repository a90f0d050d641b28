import { defineConfig } from "drizzle-kit";

/** `npx drizzle-kit generate --config services/kernel/store/drizzle-sqlite.config.ts` after editing schema/sqlite.ts. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./services/kernel/store/schema/sqlite.ts",
  out: "./services/kernel/store/migrations/sqlite",
});

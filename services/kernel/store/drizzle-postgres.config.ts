import { defineConfig } from "drizzle-kit";

/** `npx drizzle-kit generate --config services/kernel/store/drizzle-postgres.config.ts` after editing schema/postgres.ts. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./services/kernel/store/schema/postgres.ts",
  out: "./services/kernel/store/migrations/postgres",
});

import { defineConfig } from "drizzle-kit";

/** `npx drizzle-kit generate --config services/control-plane/store/drizzle-postgres.config.ts` after editing schema/postgres.ts. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./services/control-plane/store/schema/postgres.ts",
  out: "./services/control-plane/store/migrations/postgres",
});

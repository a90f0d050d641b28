import { defineConfig } from "drizzle-kit";

/** `npx drizzle-kit generate --config services/control-plane/store/drizzle-sqlite.config.ts` after editing schema/sqlite.ts. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./services/control-plane/store/schema/sqlite.ts",
  out: "./services/control-plane/store/migrations/sqlite",
});

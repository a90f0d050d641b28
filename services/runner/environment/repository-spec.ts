import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { environmentFields } from "../../../shared/config/sections/environment.js";
import { JobFailure } from "../job-failure.js";
import { ENVIRONMENT_FILE } from "./job-environment.js";

/** .pushpals/environment.toml as people write it (snake_case keys, like the config files). */
const fileSchema = z.strictObject({
  setup: environmentFields.setup,
  setup_secrets: environmentFields.setupSecrets,
  maintenance: environmentFields.maintenance,
  cache: environmentFields.cache,
  image: environmentFields.image,
  env: environmentFields.env,
  setup_budget_seconds: environmentFields.setupBudgetSeconds,
});

export interface RepositorySpec {
  setup: string[];
  setupSecrets: string[];
  maintenance: string[];
  cache: string[];
  image: string;
  env: Record<string, string>;
  setupBudgetSeconds: number;
}

/**
 * Parses and validates the repository's environment file. A bad file fails the job for good
 * (a retry reads the same commit), naming the key and the commit to fix.
 */
export function parseRepositorySpec(text: string, commit: string): RepositorySpec {
  const where = `${ENVIRONMENT_FILE} at ${commit.slice(0, 12)}`;
  let tree: unknown;
  try {
    tree = parseToml(text);
  } catch (error) {
    throw new JobFailure(`${where} is not valid TOML: ${(error as Error).message}; fix the file and commit it`, "final");
  }
  const parsed = fileSchema.safeParse(tree);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.map(String).join(".");
      if (issue.code === "unrecognized_keys") return `unknown key ${issue.keys.join(", ")}${key ? ` in ${key}` : ""} (allowed: ${Object.keys(fileSchema.shape).join(", ")})`;
      return `${key || "the file"}: ${issue.message}`;
    });
    throw new JobFailure(`${where} is invalid: ${problems.join("; ")}; fix the file and commit it`, "final");
  }
  const spec = parsed.data;
  return {
    setup: spec.setup,
    setupSecrets: spec.setup_secrets,
    maintenance: spec.maintenance,
    cache: spec.cache,
    image: spec.image,
    env: spec.env,
    setupBudgetSeconds: spec.setup_budget_seconds,
  };
}

import type { z } from "zod";

const MAX_LISTED_PROBLEMS = 5;

/** JSON from outside PushPals (an HTTP API, a file, a git note) that is not the shape we read. */
export class OutsideDataError extends Error {
  override name = "OutsideDataError";
}

/**
 * Checks JSON that came from outside against the shape PushPals reads, so code past this
 * line trusts its types instead of casting. `what` names the source for the message
 * ("GitHub's list of pull requests"); the problems name the JSON paths.
 */
export function parseOutside<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, MAX_LISTED_PROBLEMS).map((issue) => `${issue.path.map(String).join(".") || "(top)"}: ${issue.message}`);
  throw new OutsideDataError(`${what} is not in the expected shape (${problems.join("; ")})`);
}

/** JSON.parse then parseOutside: text that is not JSON at all is the same kind of error. */
export function parseOutsideText<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OutsideDataError(`${what} is not JSON (${(error as Error).message})`);
  }
  return parseOutside(schema, value, what);
}

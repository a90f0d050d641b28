import { hostname } from "node:os";

/**
 * A host name made safe inside a worker id (lower-case a-z 0-9 . _ -, starting with a letter or
 * digit, no trailing separator), cut to `maxChars`; "" when nothing usable is left, so each caller
 * picks its own fallback. The one copy: runner, planner and integration ids must agree on it.
 */
export function safeHostLabel(maxChars: number, host: string = hostname()): string {
  return host
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, maxChars)
    .replace(/[-_.]+$/, "");
}

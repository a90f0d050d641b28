/**
 * The flag values every benchmark parses, one copy: each throws a line naming the flag and what
 * it takes, which runBenchmark prints as the benchmark's one failure line.
 */

/** A whole number ≥ `min` (1 unless said). */
export function whole(value: string | undefined, flag: string, min = 1): number {
  const n = Number(value);
  if (value === undefined || value.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new Error(`${flag} takes a whole number${min > 0 ? ` of at least ${min}` : ""}, got ${value ?? "nothing"}`);
  }
  return n;
}

export const positive = (value: string | undefined, flag: string): number => whole(value, flag, 1);
export const nonNegative = (value: string | undefined, flag: string): number => whole(value, flag, 0);

export function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new Error(`${flag} takes one of ${allowed.join(", ")}, got ${value ?? "nothing"}`);
}

export function listOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T[] {
  const items = (value ?? "").split(",").filter(Boolean);
  const bad = items.filter((item) => !allowed.includes(item as T));
  if (items.length === 0 || bad.length > 0) throw new Error(`${flag} takes a comma-separated list of ${allowed.join(", ")}, got ${value ?? "nothing"}`);
  return items as T[];
}

/** A comma-separated list of whole numbers ≥ `min`. */
export function wholeList(value: string | undefined, flag: string, min = 1): number[] {
  return (value ?? "").split(",").map((item) => whole(item, flag, min));
}

/** The progress line printer of a benchmark: `[name] message` on stderr, so stdout stays the figures. */
export function progressFor(name: string): (message: string) => void {
  return (message) => process.stderr.write(`[${name}] ${message}\n`);
}

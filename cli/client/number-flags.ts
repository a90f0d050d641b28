import { usageError } from "./exit-codes.js";

/** A page size flag: 1..500 (what the list RPCs accept), `fallback` when absent. */
export function pageSizeFlag(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 500) throw usageError(`${flag}: "${raw}" must be a whole number from 1 to 500`);
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "30m", "1h", "500ms", or plain seconds ("45"); must be positive. */
export function durationFlag(flag: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? "s"] ?? 1000) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw usageError(`${flag}: "${raw}" is not a duration; use e.g. 90s, 30m or 2h`);
  return ms;
}

import type { GenEnum } from "@bufbuild/protobuf/codegenv2";
import type { Duration } from "@bufbuild/protobuf/wkt";
import { z } from "zod";
import { ID_PREFIXES, isId, type IdKind } from "../ids.js";
import { clipEnd } from "../text/clip.js";

/**
 * Reusable zod pieces for protobuf-es request fields. Their messages say what
 * is wrong and what a good value looks like; parseRequest adds the field name.
 */

/** A PushPals id of one kind ("ses_01J…"). proto3 sends a missing string as "", so "" is "missing". */
export function id(kind: IdKind): z.ZodType<string> {
  const example = `${ID_PREFIXES[kind]}_01J…`;
  return z.string().refine((value) => isId(kind, value), {
    error: (issue) => (issue.input === "" ? `is required: a ${kind} id like ${example}` : `must be a ${kind} id like ${example} (got ${preview(issue.input)})`),
  });
}

/**
 * A value of a protobuf enum. protobuf lets numbers the enum does not declare
 * through on the wire (open enums), so this checks the number is declared —
 * and, unless `allowUnspecified`, that it is not the zero "unspecified" value.
 */
export function enumValue<T extends number>(schema: GenEnum<T>, options: { allowUnspecified?: boolean } = {}): z.ZodType<T> {
  const allowed = schema.values.filter((v) => options.allowUnspecified === true || v.number !== 0);
  const names = allowed.map((v) => v.name).join(", ");
  const numbers = new Set(allowed.map((v) => v.number));
  return z.custom<T>((value) => typeof value === "number" && numbers.has(value), {
    error: (issue) => (issue.input === 0 ? `is unspecified: set it to one of ${names}` : `must be one of ${names} (got ${preview(issue.input)})`),
  });
}

/**
 * Text of at most `max` characters; required (non-empty) unless told otherwise.
 * NUL characters are refused: PostgreSQL cannot store them, and a request must
 * fail here rather than halfway through a write.
 */
export function boundedString(what: string, max: number, options: { required?: boolean } = {}): z.ZodType<string> {
  const required = options.required ?? true;
  return z.string().superRefine((value, context) => {
    if (required && value.trim() === "") context.addIssue({ code: "custom", message: `is required: give the ${what}` });
    if (value.length > max) {
      context.addIssue({ code: "custom", message: `is ${value.length} characters long, more than the ${max} a ${what} may have` });
    }
    if (value.includes("\0")) context.addIssue({ code: "custom", message: `contains a NUL character, which the ${what} cannot hold` });
  });
}

export interface DurationBounds {
  minMs: number;
  maxMs: number;
}

/** A google.protobuf.Duration within bounds; unset passes unless `required`. */
export function duration(bounds: DurationBounds & { required: true }): z.ZodType<Duration>;
export function duration(bounds: DurationBounds & { required?: false }): z.ZodType<Duration | undefined>;
export function duration(bounds: DurationBounds & { required?: boolean }): z.ZodType<Duration | undefined> {
  const range = `between ${formatMs(bounds.minMs)} and ${formatMs(bounds.maxMs)}`;
  const present = z
    .custom<Duration>((value) => value !== undefined && value !== null, { error: `is required: a duration ${range}` })
    .superRefine((value, context) => {
      const ms = durationToMs(value);
      if (ms === undefined) {
        context.addIssue({ code: "custom", message: "is not a valid duration (seconds and nanos must share a sign, |nanos| < 1e9)" });
      } else if (ms < bounds.minMs || ms > bounds.maxMs) {
        context.addIssue({ code: "custom", message: `must be ${range} (got ${formatMs(ms)})` });
      }
    });
  return bounds.required === true ? present : present.optional();
}

/** A page size: 0 means `fallback`, otherwise 1..max. */
export function pageSize(options: { fallback: number; max: number }): z.ZodType<number, number> {
  return z
    .number()
    .int()
    .refine((value) => value >= 0 && value <= options.max, {
      error: (issue) => `must be between 1 and ${options.max}, or 0 for ${options.fallback} (got ${preview(issue.input)})`,
    })
    .transform((value) => (value === 0 ? options.fallback : value));
}

function durationToMs(value: Duration): number | undefined {
  if (typeof value !== "object" || typeof value.seconds !== "bigint" || typeof value.nanos !== "number") return undefined;
  const { seconds, nanos } = value;
  if (Math.abs(nanos) >= 1e9 || (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) return undefined;
  return Number(seconds) * 1000 + nanos / 1e6;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms >= 1000 || ms === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function preview(value: unknown): string {
  const text = typeof value === "bigint" ? value.toString() : (JSON.stringify(value) ?? String(value));
  return clipEnd(text, 41);
}

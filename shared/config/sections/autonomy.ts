import { z } from "zod";

/** One collector kind: whether it runs, its priority in the score, and how risky its fixes are (at or above risk_threshold it asks first). */
const kindRules = (priority: number, risk: number) =>
  z.strictObject({
    enabled: z.boolean().default(true),
    /** 0..100; the score starts from it. */
    priority: z.coerce.number().min(0).max(100).default(priority),
    /** 0..1. */
    risk: z.coerce.number().min(0).max(1).default(risk),
  });

/** A command a collector runs in a clean export of the base branch; a non-zero exit is the evidence. */
const command = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(60)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, . _ - only"),
  command: z.string().min(1),
  timeoutSeconds: z.coerce.number().min(1).max(3600).default(300),
});

/** A time window in UTC, "HH:MM-HH:MM"; one that ends before it starts runs over midnight ("22:00-06:00"). */
const window = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must look like "22:00-06:00" (UTC, 24-hour)');

/**
 * The autonomy loop (issue 14): collectors propose objectives, they are scored, the gates
 * decide whether anything may run now, and one dispatcher across planners enqueues the best
 * as a background request. `mode` is only the starting switch: `pushpals autonomy on|off`
 * changes it in the store for every planner at once.
 */
export const autonomySection = z.strictObject({
  mode: z.enum(["off", "on"]).default("off"),
  /** One loop pass (collect, score, gate, dispatch) this often. */
  intervalSeconds: z.coerce.number().min(0.1).max(86400).default(300),
  /** The dispatch lock's lease; renewed every pass and every third of it. */
  leaseSeconds: z.coerce.number().min(1).max(3600).default(30),
  /** Candidates this risky or more are asked about instead of dispatched. */
  riskThreshold: z.coerce.number().min(0).max(1).default(0.7),
  /** How long a question waits for a person before it counts as a no. */
  questionTimeoutSeconds: z.coerce
    .number()
    .min(1)
    .max(30 * 86400)
    .default(86400),
  /** Weight of a new outcome in a kind's prior (an exponential moving average). */
  priorAlpha: z.coerce.number().min(0.01).max(1).default(0.3),
  kinds: z
    .strictObject({
      failingTest: kindRules(90, 0.2).prefault({}),
      /** A check that passed and failed on one tree (from integration's recorded check results). */
      flakyCheck: kindRules(70, 0.3).prefault({}),
      lint: kindRules(60, 0.2).prefault({}),
      outdated: kindRules(30, 0.8).prefault({}),
      todo: kindRules(10, 0.5).prefault({}),
      failedRequest: kindRules(50, 0.8).prefault({}),
    })
    .prefault({}),
  commands: z
    .strictObject({
      /** The project's tests on the base branch, e.g. [{ name = "test", command = "npm test" }]. */
      checks: z.array(command).default([]),
      /** Lint and type checks, e.g. [{ name = "typecheck", command = "npx tsc --noEmit" }]. */
      lint: z.array(command).default([]),
      /** Prints `npm outdated --json`-style JSON: an object keyed by package name. */
      outdated: z.array(command).default([]),
    })
    .prefault({}),
  /** TODO/FIXME markers found with git grep; at most this many files become candidates. */
  todoMaxFiles: z.coerce.number().int().min(0).max(1000).default(5),
  cooldowns: z
    .strictObject({
      /** A target whose objective failed (or was cancelled) is not tried again for this long. */
      failureSeconds: z.coerce
        .number()
        .min(0)
        .default(6 * 3600),
      /** A target whose fix was merged is left alone this long (the fix reaches the base branch through its pull request). */
      mergedSeconds: z.coerce
        .number()
        .min(0)
        .default(24 * 3600),
      /** After any dispatch of a kind, that kind waits this long. */
      kindSeconds: z.coerce.number().min(0).default(0),
    })
    .prefault({}),
  gates: z
    .strictObject({
      /** Dispatch only while fewer jobs than this are running. */
      maxRunningJobs: z.coerce.number().int().min(1).default(1),
      /** Autonomous objectives in flight at once (1 while constrained). */
      maxInFlight: z.coerce.number().int().min(1).default(1),
      dispatchesPerHour: z.coerce.number().int().min(0).default(2),
      /** Model tokens autonomous work may spend per UTC day; 0 means no limit. */
      tokensPerDay: z.coerce.number().int().min(0).default(2_000_000),
      /** UTC windows dispatch may happen in; empty means any time. */
      windows: z.array(window).default([]),
      /** Consecutive failed objectives that pause autonomy (half of it constrains it). */
      maxConsecutiveFailures: z.coerce.number().int().min(1).default(3),
      /** Dispatch only when the repository has no uncommitted changes. */
      requireCleanRepo: z.boolean().default(true),
    })
    .prefault({}),
});

export type AutonomySection = z.infer<typeof autonomySection>;
export type AutonomyKindName = keyof AutonomySection["kinds"];

export const autonomyEnv = {
  PUSHPALS_AUTONOMY_MODE: "autonomy.mode",
  PUSHPALS_AUTONOMY_INTERVAL_SECONDS: "autonomy.intervalSeconds",
  PUSHPALS_AUTONOMY_LEASE_SECONDS: "autonomy.leaseSeconds",
} as const;

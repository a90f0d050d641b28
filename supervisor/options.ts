import { z } from "zod";
import type { Logger } from "../shared/log.js";
import { invalidArgument } from "../shared/errors.js";

/**
 * permanent: always restarted (a server). transient: restarted only after a failure
 * (a job that may finish). temporary: never restarted (a one-shot task).
 */
export type RestartPolicy = "permanent" | "transient" | "temporary";

// Defaults follow suture (10 s stop timeout, 15 s longest backoff) and OTP's intensity idea,
// loosened to 5 restarts in 30 s so a flapping dependency is retried a few times first.
const settingsSchema = z.strictObject({
  name: z.string().trim().min(1, "must name the supervisor (it appears in every event and log line)"),
  intensity: z
    .strictObject({
      maxRestarts: z.number().int().min(0).default(5),
      withinMs: z.number().positive().default(30_000),
    })
    .prefault({}),
  backoff: z
    .strictObject({
      initialMs: z.number().min(0).default(100),
      maxMs: z.number().min(0).default(15_000),
      jitter: z.number().min(0).max(1).default(0.2),
    })
    .prefault({})
    .refine((backoff) => backoff.maxMs >= backoff.initialMs, { message: "maxMs must be at least initialMs", path: ["maxMs"] }),
  stopTimeoutMs: z.number().positive().default(10_000),
});

const childSchema = z.strictObject({
  restart: z.enum(["permanent", "transient", "temporary"]),
  stopTimeoutMs: z.number().positive().optional(),
});

export type SupervisorSettings = z.output<typeof settingsSchema>;

export type SupervisorOptions = z.input<typeof settingsSchema> & {
  logger: Logger;
  /** Monotonic milliseconds for the intensity window; tests may pass their own. */
  clock?: () => number;
};

export interface ChildOptions {
  restart: RestartPolicy;
  /** How long to wait for this child to stop before reporting it; default the supervisor's stopTimeoutMs. */
  stopTimeoutMs?: number;
}

export function parseSupervisorSettings(options: SupervisorOptions): SupervisorSettings {
  const { logger: _logger, clock: _clock, ...settings } = options;
  const parsed = settingsSchema.safeParse(settings);
  if (parsed.success) return parsed.data;
  throw firstIssue("supervisor", parsed.error.issues);
}

export function parseChildOptions(supervisor: string, child: string, options: ChildOptions): ChildOptions {
  const parsed = childSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  throw firstIssue(`supervisor "${supervisor}" child "${child}"`, parsed.error.issues);
}

function firstIssue(where: string, issues: z.core.$ZodIssue[]) {
  const issue = issues[0];
  const path = issue?.path.map(String).join(".") || "options";
  return invalidArgument(`${where}: ${path}`, `${issue?.message ?? "invalid"}; fix the value where the tree is built`);
}

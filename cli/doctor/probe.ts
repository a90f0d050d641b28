/** One thing `pushpals doctor` checks: what it found, and when broken what to do about it. */
export type ProbeResult =
  | { status: "ok"; detail: string }
  /** Not used with this configuration (e.g. Postgres on the embedded default). */
  | { status: "skipped"; detail: string }
  /** Works, but not as it should for real work (e.g. no isolation). */
  | { status: "warn"; detail: string; fix: string }
  | { status: "broken"; detail: string; fix: string };

export interface Probe {
  name: string;
  run(signal: AbortSignal): Promise<ProbeResult>;
}

export const ok = (detail: string): ProbeResult => ({ status: "ok", detail });
export const skipped = (detail: string): ProbeResult => ({ status: "skipped", detail });
export const warn = (detail: string, fix: string): ProbeResult => ({ status: "warn", detail, fix });
export const broken = (detail: string, fix: string): ProbeResult => ({ status: "broken", detail, fix });

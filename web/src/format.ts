import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";

export function durationMs(d: Duration | undefined): number {
  return d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : 0;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} m ${String(Math.round(s % 60)).padStart(2, "0")} s`;
}

export function formatDuration(d: Duration | undefined): string {
  return d ? formatMs(durationMs(d)) : "";
}

export function timeOf(t: Timestamp | undefined): Date | undefined {
  return t ? new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)) : undefined;
}

/** "12 s ago", for heartbeats and merges. */
export function ago(t: Timestamp | undefined, now = Date.now()): string {
  const at = timeOf(t);
  if (!at) return "never";
  return `${formatMs(Math.max(0, now - at.getTime()))} ago`;
}

export function clock(t: Timestamp | Date | undefined): string {
  const at = t instanceof Date ? t : timeOf(t);
  return at ? at.toLocaleTimeString() : "";
}

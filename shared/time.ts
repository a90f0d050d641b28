import { timestampFromMs, timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { DurationSchema, type Duration } from "@bufbuild/protobuf/wkt";

export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

export function toTimestamp(ms: number): Timestamp {
  return timestampFromMs(ms);
}

export function fromTimestamp(ts: Timestamp | undefined): number | undefined {
  return ts ? timestampMs(ts) : undefined;
}

export function durationFromMs(ms: number): Duration {
  const whole = Math.floor(ms / 1000);
  return create(DurationSchema, { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) });
}

export function durationMs(d: Duration | undefined): number | undefined {
  return d ? Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6) : undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

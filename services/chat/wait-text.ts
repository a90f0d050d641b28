import type { Duration } from "@bufbuild/protobuf/wkt";
import type { QueuePosition } from "../../gen/pushpals/v1/items_pb.js";
import { durationMs } from "../../shared/time.js";

/** "about 45 s", "about 3 min", "about 1 h 20 min": an estimate, so rounded like one. */
export function aboutDuration(duration: Duration | undefined): string {
  const ms = durationMs(duration) ?? 0;
  if (ms < 60_000) return `about ${Math.max(1, Math.round(ms / 1000))} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `about ${hours} h${rest > 0 ? ` ${rest} min` : ""}`;
}

/** "next in line, planned in about 30 s" / "2 ahead of it, planned in about 2 min". */
export function positionText(position: QueuePosition | undefined, what: string): string {
  if (!position) return "";
  const ahead = position.ahead === 0 ? "next in line" : `${position.ahead} ahead of it`;
  return `${ahead}, ${what} in ${aboutDuration(position.eta)}`;
}

import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { durationMs, fromTimestamp } from "../../shared/time.js";

/** "dead-letter", "interactive", "completions": enum names as people type them. */
function enumWord<E extends Record<string, string | number>>(enumObject: E, value: number): string {
  const name = enumObject[value as keyof E];
  return typeof name === "string" ? name.toLowerCase().replace(/_/g, "-") : String(value);
}

export const statusWord = (status: ItemStatus): string => enumWord(ItemStatus, status);
export const priorityWord = (priority: Priority): string => enumWord(Priority, priority);
export const queueWord = (queue: QueueName): string => enumWord(QueueName, queue);

/** 850ms, 12s, 4m, 3h, 2d — a short, rounded span for tables. */
export function shortSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export function durationWord(duration: Duration | undefined): string {
  const ms = durationMs(duration);
  return ms === undefined ? "-" : shortSpan(ms);
}

/** How long ago a timestamp was. */
export function ageOf(timestamp: Timestamp | undefined, now = Date.now()): string {
  const ms = fromTimestamp(timestamp);
  return ms === undefined ? "-" : shortSpan(now - ms);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 10);
}

/** One line, at most `max` characters. */
export function oneLine(text: string, max = 60): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "position 2, ETA ~40s" for a pending item. */
export function positionWords(item: QueueItem): string {
  const position = item.position;
  if (!position) return "";
  const ahead = position.ahead === 0 ? "next in line" : `${position.ahead} ahead`;
  return position.eta ? `${ahead}, ETA ~${durationWord(position.eta)}` : ahead;
}

/** What an item is about, in a few words: the request's text, the job's instruction, the completion's branch. */
export function itemSubject(item: QueueItem): string {
  const kind = item.payload?.kind;
  switch (kind?.case) {
    case "request":
      return kind.value.text;
    case "taskExecuteV2":
      return kind.value.repair ? `repair ${kind.value.repair.completionId}: ${kind.value.instruction}` : kind.value.instruction;
    case "completion":
      return kind.value.summary || `${kind.value.branch} @ ${shortSha(kind.value.sha)}`;
    default:
      return "";
  }
}

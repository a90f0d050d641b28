import { create } from "@bufbuild/protobuf";
import { IntegrationStepSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { CheckResultSchema } from "../../../gen/pushpals/v1/items_pb.js";
import type { CheckSpec } from "../settings.js";
import type { EventRecorder } from "./event-recorder.js";

/** The integration_step stage of live check output; `detail` holds the text, `check` names the check. */
export const CHECK_OUTPUT_STAGE = "check_output";

export interface CheckOutputLimits {
  /** Record once this much is buffered... */
  flushChars: number;
  /** ...or this long after the first unrecorded chunk. */
  flushMs: number;
  /** Live output recorded per check; the rest only reaches the check's result (head and tail). */
  maxCharsPerCheck: number;
}

export const DEFAULT_CHECK_OUTPUT_LIMITS: CheckOutputLimits = { flushChars: 8 * 1024, flushMs: 500, maxCharsPerCheck: 512 * 1024 };

export interface CheckOutputLog {
  push(check: CheckSpec, chunk: string): void;
  /** Records what is buffered now; call before recording a check's result so output comes first. */
  flush(): void;
  /** Flushes and stops the timer. */
  close(): void;
}

/**
 * A completion's check output as it is produced, turned into integration_step events
 * (the job log of a completion: AppendJobLogs is for jobs only). Chunks are gathered
 * into a few events a second and capped per check, so a chatty test suite cannot
 * flood the session's log.
 */
export function checkOutputLog(recorder: EventRecorder, limits: CheckOutputLimits = DEFAULT_CHECK_OUTPUT_LIMITS): CheckOutputLog {
  let current: CheckSpec | undefined;
  let buffer = "";
  let recordedForCheck = 0;
  let capped = false;
  let timer: NodeJS.Timeout | undefined;

  const emit = (check: CheckSpec, detail: string) =>
    recorder.record({
      case: "integrationStep",
      value: create(IntegrationStepSchema, { stage: CHECK_OUTPUT_STAGE, detail, check: create(CheckResultSchema, { name: check.name, command: check.command }) }),
    });

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!current || buffer === "") return;
    emit(current, buffer);
    buffer = "";
  };

  return {
    push(check, chunk) {
      if (current !== check) {
        flush();
        current = check;
        recordedForCheck = 0;
        capped = false;
      }
      if (capped) return;
      const room = limits.maxCharsPerCheck - recordedForCheck;
      const kept = chunk.slice(0, room);
      buffer += kept;
      recordedForCheck += kept.length;
      if (kept.length < chunk.length) {
        capped = true;
        flush();
        emit(check, `[live output past ${limits.maxCharsPerCheck} characters is not recorded; the check's result keeps its head and tail]`);
        return;
      }
      if (buffer.length >= limits.flushChars) flush();
      else timer ??= setTimeout(flush, limits.flushMs);
    },
    flush,
    close: flush,
  };
}

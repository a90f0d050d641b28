import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export interface CapturedLogs {
  logger: Logger;
  lines: () => { level: number; msg: string; [key: string]: unknown }[];
}

/** A real pino logger whose JSON lines are kept, so tests can check what was logged. */
export function capturedLogs(): CapturedLogs {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return {
    logger: pino({ level: "debug" }, sink),
    lines: () => raw.map((line) => JSON.parse(line) as { level: number; msg: string }),
  };
}

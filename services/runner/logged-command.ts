import { LogStream } from "../../gen/pushpals/v1/common_pb.js";
import { failureSummary } from "../../shared/text/failure-summary.js";
import type { ExecResult, OutputChunk, Sandbox } from "../../sandbox/driver.js";
import type { JobLog } from "./job-log.js";
import { lineAssembler } from "./log-lines.js";
import { outputCap } from "./output-cap.js";

export interface LoggedCommandOptions {
  log: JobLog;
  /** Aborting kills the command's whole process tree. */
  signal: AbortSignal;
  timeoutMs?: number;
  /** Extra variables for this command only (the setup phase's secrets). */
  env?: Record<string, string>;
  /** Head and tail kept in the log beyond this (runner.maxOutputBytesPerCommand). */
  maxOutputBytes: number;
  /** Characters of the output's end kept for messages and events. */
  tailChars?: number;
}

export interface LoggedCommandResult extends ExecResult {
  /** The last `tailChars` of stdout and stderr together, as they arrived. */
  tail: string;
  /** Whether the log left part of the output out. */
  elided: boolean;
  /** The summary lines of the whole output (test counts, failures), for a failure's message. */
  summary: string[];
}

/** Longest log line; longer ones are cut in pieces (AppendJobLogs takes up to 64 KiB a line). */
export const MAX_LINE_CHARS = 16_000;

const STREAMS: Record<OutputChunk["stream"], LogStream> = { stdout: LogStream.STDOUT, stderr: LogStream.STDERR };

/**
 * Runs one shell command in the sandbox with every output line going to the job log as it
 * arrives: each stream cut into lines on its own, redraws collapsed, the command's share of the
 * log bounded (head and tail kept).
 */
export async function runLoggedCommand(sandbox: Sandbox, command: string, options: LoggedCommandOptions): Promise<LoggedCommandResult> {
  const { log } = options;
  const tailChars = options.tailChars ?? 4000;
  const cap = outputCap(options.maxOutputBytes);
  const lines = { stdout: lineAssembler(MAX_LINE_CHARS), stderr: lineAssembler(MAX_LINE_CHARS) };
  let tail = "";
  const emit = async (stream: OutputChunk["stream"], texts: string[]) => {
    for (const text of texts) {
      for (const entry of cap.push({ stream: STREAMS[stream], text, time: Date.now() })) await log.write(entry);
    }
  };

  const execution = sandbox.exec(command, { signal: options.signal, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.env ? { env: options.env } : {}) });
  const summary = failureSummary();
  for await (const chunk of execution.output) {
    tail = (tail + chunk.data).slice(-tailChars);
    summary.push(chunk.data, chunk.stream);
    await emit(chunk.stream, lines[chunk.stream].push(chunk.data));
  }
  await emit("stdout", lines.stdout.flush());
  await emit("stderr", lines.stderr.flush());
  for (const entry of cap.finish()) await log.write(entry);
  const result = await execution.result;
  return { ...result, tail, elided: cap.elided, summary: summary.lines() };
}

import { JOB_TRAILER } from "../../shared/job-trailer.js";
import type { CommitMessage } from "./workspace/index.js";
import { clipEnd } from "../../shared/text/clip.js";

const SUBJECT_CHARS = 72;
const INSTRUCTION_CHARS = 2000;

/**
 * The job's commit message: a subject naming the job, a body with who ran it and what was asked,
 * and the `PushPals-Job: <id>` trailer integration uses to recognise the job's commits.
 */
export function commitMessage(job: { jobId: string; attempt: number; workerId: string; summary: string; instruction: string }): CommitMessage {
  const headline = job.summary.trim().split("\n")[0] ?? "";
  const subject = clip(`pushpals ${job.jobId}${headline ? `: ${headline}` : ""}`, SUBJECT_CHARS);
  const instruction = clip(job.instruction.trim(), INSTRUCTION_CHARS);
  const body = [
    job.summary.trim() !== headline ? job.summary.trim() : "",
    `Job ${job.jobId}, attempt ${job.attempt}, run by worker ${job.workerId}.`,
    `Instruction:\n${instruction}`,
  ]
    .filter(Boolean)
    .join("\n\n");
  return { subject, body, trailers: [`${JOB_TRAILER}: ${job.jobId}`] };
}

/** Cut to `max` characters; NUL bytes (which git cannot take in an argument) dropped. */
function clip(text: string, max: number): string {
  return clipEnd(text.replaceAll("\0", ""), max);
}

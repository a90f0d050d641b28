import { toJson } from "@bufbuild/protobuf";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { ListItemsResponseSchema } from "../../gen/pushpals/v1/queues_pb.js";
import { isId } from "../../shared/ids.js";
import { fromTimestamp } from "../../shared/time.js";
import { clientCommand } from "./client-command.js";
import { EXIT, usageError } from "./exit-codes.js";
import { ageOf, itemSubject, oneLine, positionWords, shortSha, shortSpan, statusWord } from "./format.js";
import { pageSizeFlag } from "./number-flags.js";
import { UNARY_CALL } from "./server-connection.js";
import { statusFlag } from "./status-flag.js";
import { styleFor, type Style } from "./style.js";
import { renderTable } from "./table.js";

export const jobsUsage = `pushpals jobs [--status S[,S…]] [--session ID] [--limit N] [--json] [--server URL]

Recent jobs, newest first: status, worker, age, run time, and the branch and
commit of finished ones (or why they failed). Statuses: pending, claimed
(running), completed, failed, cancelled, dead-letter.`;

export const jobsCommand = clientCommand({
  name: "jobs",
  usage: jobsUsage,
  options: { status: { type: "string", multiple: true }, session: { type: "string" }, limit: { type: "string" } },
  async run({ values, server }) {
    const statuses = statusFlag(values.status);
    const pageSize = pageSizeFlag("--limit", values.limit, 20);
    const sessionId = values.session ?? "";
    if (sessionId && !isId("session", sessionId)) throw usageError(`--session: "${sessionId}" is not a session id (ses_ and 26 characters); see \`pushpals sessions\``);
    const response = await server.clients.queues.listItems({ queue: QueueName.JOBS, statuses, sessionId, pageSize }, UNARY_CALL);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(toJson(ListItemsResponseSchema, response))}\n`);
      return EXIT.ok;
    }
    if (response.items.length === 0) {
      process.stdout.write(statuses.length > 0 ? "no jobs with that status\n" : "no jobs yet; ask for work with `pushpals chat`\n");
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const now = Date.now();
    const rows = response.items.map((job) => [
      job.id,
      statusWord(job.status) + (job.cancelRequested && job.status === ItemStatus.CLAIMED ? " (cancelling)" : ""),
      job.claimedBy || "-",
      ageOf(job.enqueuedAt, now),
      runTime(job, now),
      oneLine(outcome(job), 100),
    ]);
    const lines = renderTable(["JOB", "STATUS", "WORKER", "AGE", "RAN", "RESULT"], rows, (row, column, cell) => paintCell(response.items[row], column, cell, style));
    process.stdout.write(`${lines.join("\n")}\n`);
    if (response.nextPageToken) process.stdout.write(style.dim("(older jobs exist; pass --limit to see more)\n"));
    return EXIT.ok;
  },
});

function runTime(job: QueueItem, now: number): string {
  const claimed = fromTimestamp(job.claimedAt);
  if (claimed === undefined) return "-";
  return shortSpan((fromTimestamp(job.finishedAt) ?? now) - claimed);
}

/** The one thing worth knowing about a job in its state. */
function outcome(job: QueueItem): string {
  const result = job.result?.kind.case === "job" ? job.result.kind.value : undefined;
  switch (job.status) {
    case ItemStatus.COMPLETED:
      if (result?.sha) return `${shortSha(result.sha)} (${result.changedFiles.length} file${result.changedFiles.length === 1 ? "" : "s"}) ${result.branch}`;
      return result?.summary || "done, no change";
    case ItemStatus.PENDING:
      return `${positionWords(job) || "waiting"} — ${itemSubject(job)}`;
    case ItemStatus.CLAIMED:
      return itemSubject(job);
    default:
      return job.lastError || itemSubject(job);
  }
}

function paintCell(job: QueueItem | undefined, column: number, cell: string, style: Style): string {
  if (column === 0) return style.id(cell);
  if (column !== 1 || !job) return cell;
  switch (job.status) {
    case ItemStatus.COMPLETED:
      return style.ok(cell);
    case ItemStatus.FAILED:
    case ItemStatus.DEAD_LETTER:
      return style.bad(cell);
    case ItemStatus.CLAIMED:
      return style.warn(cell);
    default:
      return style.dim(cell);
  }
}

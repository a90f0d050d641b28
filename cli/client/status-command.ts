import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { ItemStatus, JobWaiting, type QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ExecutionService, WorkerSchema, WorkerStatus, type Worker } from "../../gen/pushpals/v1/execution_pb.js";
import { QueueItemSchema, type QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { QueueService, type SloSummary } from "../../gen/pushpals/v1/queues_pb.js";
import { GetSystemStatusResponseSchema, SystemService, type GetSystemStatusResponse } from "../../gen/pushpals/v1/system_pb.js";
import { clientCommand } from "./client-command.js";
import { EXIT } from "./exit-codes.js";
import { ageOf, durationWord, itemSubject, oneLine, priorityWord, queueWord } from "./format.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor, type Style } from "./style.js";
import { renderTable } from "./table.js";
import { BusKindSchema, StoreKindSchema } from "../../gen/pushpals/v1/kinds_pb.js";
import { enumWord } from "../../shared/text/enum-word.js";

export const statusUsage = `pushpals status [--json] [--server URL]

The system at a glance: queue depths with wait/run percentiles and success
rate over the last hour, every waiting item with its position and ETA, and
the workers and the jobs they run, each working, waiting for approval,
waiting for an answer or paused. --json prints one JSON document for scripts.`;

const PENDING_SHOWN = 200;

export const statusCommand = clientCommand({
  name: "status",
  usage: statusUsage,
  options: {},
  // The three services it calls, not every one (their generated code is most of a start's imports).
  clients: (transport) => ({
    system: createClient(SystemService, transport),
    queues: createClient(QueueService, transport),
    execution: createClient(ExecutionService, transport),
  }),
  async run({ values, server }) {
    const { clients } = server;
    const [status, pending, workers] = await Promise.all([
      clients.system.getSystemStatus({}, UNARY_CALL),
      clients.queues.listItems({ statuses: [ItemStatus.PENDING], pageSize: PENDING_SHOWN }, UNARY_CALL),
      clients.execution.listWorkers({}, UNARY_CALL),
    ]);
    const waiting = [...pending.items].sort(byQueueThenPosition);
    if (values.json) {
      const document = {
        server: server.url,
        status: toJson(GetSystemStatusResponseSchema, status),
        pending: waiting.map((item) => toJson(QueueItemSchema, item)),
        pendingTruncated: pending.nextPageToken !== "",
        workers: workers.workers.map((worker) => toJson(WorkerSchema, worker)),
      };
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const lines = [
      headline(status, server.url, style),
      "",
      ...queueTable(status),
      "",
      ...waitingSection(waiting, pending.nextPageToken !== "", style),
      "",
      ...workerSection(workers.workers, style),
      ...runningSection(workers.workers, style),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  },
});

function headline(status: GetSystemStatusResponse, url: string, style: Style): string {
  const parts = [
    style.bold(`PushPals ${status.version}`),
    url,
    status.repo,
    `up ${ageOf(status.startedAt)}`,
    `store ${enumWord(StoreKindSchema, status.store)}`,
    `bus ${enumWord(BusKindSchema, status.bus)}`,
    `${status.workersOnline} worker${status.workersOnline === 1 ? "" : "s"} online`,
  ];
  return parts.filter(Boolean).join(" · ");
}

function queueTable(status: GetSystemStatusResponse): string[] {
  const slo = (queue: QueueName) => status.slos.find((summary) => summary.queue === queue);
  const rows = status.queues.map((depth) => {
    const summary = slo(depth.queue);
    return [
      queueWord(depth.queue),
      String(depth.pendingInteractive + depth.pendingNormal + depth.pendingBackground),
      String(depth.claimed),
      String(depth.deadLetter),
      summary ? `${durationWord(summary.waitP50)} / ${durationWord(summary.waitP95)}` : "-",
      summary ? `${durationWord(summary.runP50)} / ${durationWord(summary.runP95)}` : "-",
      successWords(summary),
    ];
  });
  return renderTable(["QUEUE", "WAITING", "RUNNING", "DEAD", "WAIT p50/p95", "RUN p50/p95", "SUCCESS (1h)"], rows);
}

function successWords(summary: SloSummary | undefined): string {
  if (!summary) return "-";
  const finished = summary.succeeded + summary.failed;
  if (finished === 0) return "- (none finished)";
  return `${Math.round(summary.successRate * 100)}% (${summary.succeeded}/${finished})`;
}

function waitingSection(items: QueueItem[], truncated: boolean, style: Style): string[] {
  if (items.length === 0) return [style.dim("nothing waiting")];
  const now = Date.now();
  const rows = items.map((item) => [
    item.id,
    queueWord(item.queue),
    priorityWord(item.priority),
    item.position ? String(item.position.ahead) : "-",
    item.position?.eta ? `~${durationWord(item.position.eta)}` : "-",
    ageOf(item.enqueuedAt, now),
    oneLine(itemSubject(item), 50),
  ]);
  const table = renderTable(["WAITING (next first)", "QUEUE", "PRIORITY", "AHEAD", "ETA", "AGE", "WHAT"], rows, (_r, column, cell) => (column === 0 ? style.id(cell) : cell));
  return truncated ? [...table, style.dim(`(only the first ${PENDING_SHOWN} are shown)`)] : table;
}

function workerSection(workers: Worker[], style: Style): string[] {
  if (workers.length === 0) return [style.dim("no workers have registered; `pushpals up` starts one")];
  const now = Date.now();
  const rows = workers.map((worker) => [
    worker.id,
    workerStatusWord(worker.status),
    `${worker.activeJobIds.length}/${worker.concurrency}`,
    worker.drivers.join(",") || "-",
    worker.host || "-",
    ageOf(worker.lastHeartbeatAt, now),
  ]);
  return renderTable(["WORKER", "STATUS", "JOBS", "DRIVERS", "HOST", "HEARTBEAT"], rows, (row, column, cell) => {
    if (column !== 1) return cell;
    const status = workers[row]?.status;
    return status === WorkerStatus.ONLINE ? style.ok(cell) : status === WorkerStatus.STALE ? style.warn(cell) : style.dim(cell);
  });
}

/** What a running job does now, as its worker's last heartbeat said. */
export function jobStateWords(waiting: JobWaiting): string {
  switch (waiting) {
    case JobWaiting.APPROVAL:
      return "waiting for approval";
    case JobWaiting.ANSWER:
      return "waiting for an answer";
    case JobWaiting.PAUSED:
      return "paused";
    default:
      return "working";
  }
}

function runningSection(workers: Worker[], style: Style): string[] {
  const rows = workers.flatMap((worker) => {
    const waiting = new Map(worker.activeJobs.map((job) => [job.jobId, job.waiting]));
    return worker.activeJobIds.map((jobId) => [jobId, worker.id, jobStateWords(waiting.get(jobId) ?? JobWaiting.UNSPECIFIED)]);
  });
  if (rows.length === 0) return [];
  return [
    "",
    ...renderTable(["RUNNING JOB", "WORKER", "STATE"], rows, (_r, column, cell) => (column === 0 ? style.id(cell) : column === 2 && cell !== "working" ? style.warn(cell) : cell)),
  ];
}

function workerStatusWord(status: WorkerStatus): string {
  return WorkerStatus[status]?.toLowerCase() ?? String(status);
}

function byQueueThenPosition(a: QueueItem, b: QueueItem): number {
  return a.queue - b.queue || (a.position?.ahead ?? 0) - (b.position?.ahead ?? 0);
}

import type { Dialect } from "./dialect/dialect.js";
import { resolveSettings, type Settings } from "./settings.js";
import { answerApproval, expireApprovals, getApproval, listApprovals, requestApproval } from "./sql/approvals.js";
import { evaluationOf, readState, saveEvaluation } from "./sql/autonomy/autonomy-state.js";
import { acquireDispatchLease, readDispatchLease, releaseDispatchLease, requireHolder } from "./sql/autonomy/dispatch-lease.js";
import { dispatchObjective, listObjectives, proposeObjective } from "./sql/autonomy/objectives.js";
import { dispatchedSince, listPriors, tokensSince } from "./sql/autonomy/priors.js";
import { setAutonomyMode } from "./sql/autonomy/set-mode.js";
import { markReverted, settleObjectives } from "./sql/autonomy/settle.js";
import { appendJobLogs } from "./sql/job-logs.js";
import { getArtifact, listArtifacts, putArtifact } from "./sql/artifacts.js";
import { cancel } from "./sql/cancel.js";
import { claim } from "./sql/claim.js";
import { complete } from "./sql/complete.js";
import { depths } from "./sql/depths.js";
import { enqueue } from "./sql/enqueue.js";
import { appendPlainEvents, listEvents } from "./sql/events.js";
import { fail } from "./sql/fail.js";
import { getItem, listItems } from "./sql/items.js";
import { reapExpiredLeases } from "./sql/reap.js";
import { renewLease } from "./sql/renew-lease.js";
import { createSession, getSession, listSessions } from "./sql/sessions.js";
import { slo } from "./sql/slo.js";
import { getWorker, heartbeat, listWorkers } from "./sql/workers.js";
import type { Store, StoreOptions } from "./store.js";
import { mutate, type WriteTx } from "./transaction.js";
import { QueryWindows } from "./windows/query-windows.js";

/**
 * The Store, once, over a dialect: each method is one operation from ./sql/, run as a
 * write transaction (mutations, with their events) or on the reader.
 */
export function createSqlStore(dialect: Dialect, options: StoreOptions): Store {
  const settings: Settings = resolveSettings(options);
  const { reader } = dialect;
  // Sliding windows the read paths keep between calls (SLOs, queue pace): see ./windows/.
  const windows = new QueryWindows();
  const write = <T>(work: (tx: WriteTx) => Promise<T>) => mutate(dialect, settings, work);
  // Queue transitions emit only item events: their append can go with COMMIT (see MutateOptions).
  const transition = <T>(work: (tx: WriteTx) => Promise<T>) => mutate(dialect, settings, work, { itemEvents: true });
  // Writes that append no event (renewals, heartbeats) still need the writer.
  const writeQuietly = async <T>(work: (tx: WriteTx) => Promise<T>) => (await write(work)).value;

  return {
    kind: dialect.kind,

    async createSession(input) {
      const committed = await write((tx) => createSession(tx, input));
      const created = committed.events.at(-1);
      if (created) {
        committed.value.session.lastSeq = created.seq;
        committed.value.session.updatedAt = created.time;
      }
      return committed;
    },
    getSession: (sessionId) => getSession(reader, sessionId),
    listSessions: (input) => listSessions(reader, input),
    appendEvents: (sessionId, drafts) => write((tx) => appendPlainEvents(tx, sessionId, drafts)),
    listEvents: (input) => listEvents(reader, dialect.kind, input),

    enqueue: (input) => transition((tx) => enqueue(tx, input)),
    claim: (input) => transition((tx) => claim(tx, input)),
    renewLease: (input) => writeQuietly((tx) => renewLease(tx, input)),
    complete: (input) => transition((tx) => complete(tx, input)),
    fail: (input) => transition((tx) => fail(tx, input)),
    cancel: (input) => transition((tx) => cancel(tx, input)),
    getItem: (itemId) => getItem(reader, windows, itemId, settings.now()),
    listItems: (input) => listItems(reader, windows, input, settings.now()),
    reapExpiredLeases: () => transition((tx) => reapExpiredLeases(tx)),
    slo: (input) => slo(reader, windows, input, settings.now()),
    depths: () => depths(reader),

    heartbeat: (input) => writeQuietly((tx) => heartbeat(tx.exec, settings, input, tx.now)),
    listWorkers: (page) => listWorkers(reader, settings, settings.now(), page),
    getWorker: (workerId) => getWorker(reader, settings, settings.now(), workerId),
    appendJobLogs: (input) => write((tx) => appendJobLogs(tx, input)),
    putArtifact: (input) => write((tx) => putArtifact(tx, input)),
    listArtifacts: (jobId, page) => listArtifacts(reader, jobId, page),
    getArtifact: (artifactId) => getArtifact(reader, artifactId),

    requestApproval: (input) => write((tx) => requestApproval(tx, input)),
    getApproval: (id) => getApproval(reader, id),
    listApprovals: (input) => listApprovals(reader, input),
    answerApproval: (input) => write((tx) => answerApproval(tx, input)),
    expireApprovals: () => write((tx) => expireApprovals(tx)),

    async autonomyStatus(input) {
      const now = settings.now();
      const [{ row, state }, lease, objectives, priors, dispatchedLastHour, tokensToday] = await Promise.all([
        readState(reader, input.defaultMode),
        readDispatchLease(reader, now),
        listObjectives(reader, input.objectivesLimit),
        listPriors(reader),
        dispatchedSince(reader, now - 3_600_000),
        tokensSince(reader, now - (now % 86_400_000)),
      ]);
      return { state, lease, evaluation: evaluationOf(row), objectives, priors, dispatchedLastHour, tokensToday };
    },
    setAutonomyMode: (input) => write((tx) => setAutonomyMode(tx, input)),
    acquireDispatchLease: (input) => writeQuietly((tx) => acquireDispatchLease(tx, input)),
    releaseDispatchLease: (holder) => writeQuietly((tx) => releaseDispatchLease(tx, holder)),
    saveEvaluation: (input) =>
      writeQuietly(async (tx) => {
        await requireHolder(tx, input.holder);
        await saveEvaluation(tx, input.evaluation, input.defaultMode);
      }),
    proposeObjective: (input) => write((tx) => proposeObjective(tx, input)),
    dispatchObjective: (input) => write((tx) => dispatchObjective(tx, input)),
    settleObjectives: (input) => write((tx) => settleObjectives(tx, input)),
    markObjectiveReverted: (input) => write((tx) => markReverted(tx, input)),

    close: () => dialect.close(),
  };
}

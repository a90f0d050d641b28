import type { AutonomyEvaluation, AutonomyMode, AutonomyState, Candidate, DispatchLease, KindPrior, Objective } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { Approval, ApprovalKind, ApprovalStatus, ApprovalTimeoutAction } from "../../../gen/pushpals/v1/approvals_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { JobLog } from "../../../gen/pushpals/v1/events_pb.js";
import type { Artifact, Worker } from "../../../gen/pushpals/v1/execution_pb.js";
import type { ItemPayload, ItemResult, QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import type { ItemStatus, JobWaiting, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { FailMode, SloSummary } from "../../../gen/pushpals/v1/queues_pb.js";
import type { Session } from "../../../gen/pushpals/v1/sessions_pb.js";
import type { QueueDepth } from "../../../gen/pushpals/v1/system_pb.js";

/**
 * The control plane's source of truth. Every mutation is one transaction that writes
 * the new state and appends its audit events; it returns those events so the caller
 * can publish them on the bus after commit. Domain errors are ConnectErrors from
 * ../errors.ts (NotFound, FailedPrecondition, AlreadyExists, InvalidArgument).
 *
 * Two implementations, one behaviour: SQLite (embedded) and Postgres; one
 * conformance suite (tests/store/) runs against both.
 */
export interface Store {
  readonly kind: "sqlite" | "postgres";

  // Sessions and their logs.
  createSession(input: CreateSessionInput): Promise<Committed<{ session: Session; existing: boolean }>>;
  getSession(sessionId: string): Promise<Session | undefined>;
  /** Newest first; `before` is the id of the last session of the previous page. */
  listSessions(input: { limit: number; before?: string }): Promise<Session[]>;
  /** Appends events that carry no other state change (messages, plans, agent steps, ...). */
  appendEvents(sessionId: string, drafts: EventDraft[]): Promise<Committed<void>>;
  /** Events with seq > afterSeq, oldest first; with itemId, only those about that item. */
  listEvents(input: { sessionId: string; afterSeq: bigint; limit: number; itemId?: string }): Promise<Event[]>;

  // Queues.
  enqueue(input: EnqueueInput): Promise<Committed<{ item: QueueItem; existing: boolean }>>;
  /**
   * Atomically takes the next claimable item of the queue: pending, available_at <= now,
   * targeted at nobody or this worker; ordered by priority band then enqueue order.
   * Counts the attempt, sets a fresh lease token. Undefined when none is claimable.
   */
  claim(input: ClaimInput): Promise<Committed<Claimed | undefined>>;
  renewLease(input: { itemId: string; leaseToken: string; leaseMs: number }): Promise<{ leaseExpiresAt: number; cancelRequested: boolean }>;
  complete(input: { itemId: string; leaseToken: string; result?: ItemResult }): Promise<Committed<QueueItem>>;
  fail(input: FailInput): Promise<Committed<QueueItem>>;
  cancel(input: { itemId: string; reason: string }): Promise<Committed<QueueItem>>;
  /** Pending items carry their position (ahead + ETA). */
  getItem(itemId: string): Promise<QueueItem | undefined>;
  listItems(input: ListItemsInput): Promise<QueueItem[]>;
  /** Claimed items whose lease expired go back to pending (attempt spent, backoff) or to dead-letter. */
  reapExpiredLeases(): Promise<Committed<number>>;
  slo(input: { queue: QueueName; windowMs: number }): Promise<SloSummary>;
  depths(): Promise<QueueDepth[]>;

  // Workers, logs and artifacts.
  heartbeat(input: HeartbeatInput): Promise<{ worker: Worker; cancelRequestedJobIds: string[] }>;
  /** By id; with a page, at most `limit` workers whose id sorts after `after`. */
  listWorkers(page?: KeysetPage): Promise<Worker[]>;
  /** One worker, as listWorkers shows it. */
  getWorker(workerId: string): Promise<Worker | undefined>;
  /** The job must be claimed under this lease token. Each line becomes a job_log event. */
  appendJobLogs(input: { jobId: string; leaseToken: string; lines: JobLog[] }): Promise<Committed<{ lastLine: bigint }>>;
  putArtifact(input: PutArtifactInput): Promise<Committed<Artifact>>;
  /** Oldest first; with a page, at most `limit` artifacts after the one whose id is `after`. */
  listArtifacts(jobId: string, page?: KeysetPage): Promise<Artifact[]>;
  getArtifact(artifactId: string): Promise<Artifact | undefined>;

  // Approval requests (issue 13): each is asked once per idempotency key and answered once.
  /** Pending with its approval_requested event, or the earlier request with this key (existing, nothing appended). */
  requestApproval(input: RequestApprovalInput): Promise<Committed<{ approval: Approval; existing: boolean }>>;
  getApproval(id: string): Promise<Approval | undefined>;
  /** Pending first (oldest first), then answered (newest answer first); `after` is the last id of the previous page. */
  listApprovals(input: ListApprovalsInput): Promise<Approval[]>;
  /** A person's approve or deny, with its approval_answered event. */
  answerApproval(input: AnswerApprovalInput): Promise<Committed<Approval>>;
  /** Pending requests past their expiry get their timeout action (answered by "timeout"). */
  expireApprovals(): Promise<Committed<number>>;

  // Autonomy (issue 14): the switch, the dispatch lock, objectives and priors.
  autonomyStatus(input: { defaultMode: "off" | "on"; objectivesLimit: number }): Promise<AutonomyStatus>;
  /** `off` cancels every pending or running autonomous item in the same transaction. */
  setAutonomyMode(input: SetAutonomyModeInput): Promise<Committed<{ state: AutonomyState; cancelledItemIds: string[] }>>;
  /** Takes, renews or (after expiry) takes over the single dispatch lock. */
  acquireDispatchLease(input: { holder: string; ttlMs: number }): Promise<{ acquired: boolean; lease: DispatchLease }>;
  releaseDispatchLease(holder: string): Promise<boolean>;
  /** The following need the caller to hold the lock (FailedPrecondition otherwise). */
  saveEvaluation(input: { holder: string; evaluation: AutonomyEvaluation; defaultMode: "off" | "on" }): Promise<void>;
  proposeObjective(input: ProposeObjectiveInput): Promise<Committed<Objective>>;
  dispatchObjective(input: { holder: string; objectiveId: string; requestText: string; defaultMode: "off" | "on" }): Promise<Committed<Objective>>;
  settleObjectives(input: { holder: string; alpha: number; defaultMode: "off" | "on" }): Promise<Committed<Objective[]>>;
  markObjectiveReverted(input: { holder: string; objectiveId: string; revertSha: string; alpha: number; defaultMode: "off" | "on" }): Promise<Committed<Objective>>;

  close(): Promise<void>;
}

export interface AutonomyStatus {
  state: AutonomyState;
  lease: DispatchLease;
  evaluation?: AutonomyEvaluation;
  objectives: Objective[];
  priors: KindPrior[];
  dispatchedLastHour: number;
  tokensToday: bigint;
}

export interface SetAutonomyModeInput {
  mode: AutonomyMode;
  frozenUntil?: number;
  by: string;
  defaultMode: "off" | "on";
}

export interface ProposeObjectiveInput {
  holder: string;
  candidate: Candidate;
  ask: boolean;
  questionTimeoutMs: number;
  requestText: string;
  defaultMode: "off" | "on";
}

export interface RequestApprovalInput {
  sessionId: string;
  /** The waiting queue item; empty when none. */
  itemId: string;
  kind: ApprovalKind;
  subject: string;
  rule: string;
  idempotencyKey: string;
  timeoutMs: number;
  /** UNSPECIFIED means deny. */
  timeoutAction: ApprovalTimeoutAction;
}

export interface ListApprovalsInput {
  sessionId?: string;
  pendingOnly?: boolean;
  limit: number;
  after?: string;
}

/** One page of a listing: `after` is the id of the last row of the previous page. */
export interface KeysetPage {
  limit: number;
  after?: string;
}

export interface AnswerApprovalInput {
  id: string;
  status: ApprovalStatus.APPROVED | ApprovalStatus.DENIED;
  answeredBy: string;
  comment: string;
}

/** A committed change: its value and the events it appended, in order. */
export interface Committed<T> {
  value: T;
  events: Event[];
}

/** An event before the store gives it a session, a seq and a time. */
export interface EventDraft {
  itemId?: string;
  payload: Event["payload"];
}

export interface CreateSessionInput {
  title: string;
  idempotencyKey?: string;
  /** An autonomy objective's own session: each of its events carries the objective id. */
  objectiveId?: string;
}

export interface EnqueueInput {
  queue: QueueName;
  sessionId: string;
  priority: Priority;
  payload: ItemPayload;
  idempotencyKey?: string;
  maxAttempts?: number;
  targetWorkerId?: string;
  parentId?: string;
  delayMs?: number;
  /** W3C traceparent of the enqueuing call, handed to the claimer (empty: not traced). */
  traceParent?: string;
}

export interface ClaimInput {
  queue: QueueName;
  workerId: string;
  leaseMs: number;
}

export interface Claimed {
  item: QueueItem;
  leaseToken: string;
  leaseExpiresAt: number;
}

export interface FailInput {
  itemId: string;
  leaseToken: string;
  error: string;
  mode: FailMode;
  conflictingFiles?: string[];
  repairJobId?: string;
}

export interface ListItemsInput {
  queue?: QueueName;
  statuses?: ItemStatus[];
  sessionId?: string;
  limit: number;
  /** Id of the last item of the previous page (items are listed newest first). */
  before?: string;
}

export interface HeartbeatInput {
  workerId: string;
  name: string;
  host: string;
  drivers: string[];
  concurrency: number;
  activeJobIds: string[];
  version: string;
  /** Job id → what it waits on (JobWaiting), for the active jobs that wait; absent: none does. */
  waiting?: Record<string, JobWaiting>;
}

export interface PutArtifactInput {
  jobId: string;
  /** Required while the job is claimed; empty is allowed once it has finished. */
  leaseToken: string;
  name: string;
  mediaType: string;
  content: Uint8Array;
}

/** Tunables every implementation honours; defaults come from config [queues]. */
export interface StoreOptions {
  defaultMaxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  workerStaleMs: number;
  /** Injected for tests of leases, backoff and SLO windows. */
  now?: () => number;
}

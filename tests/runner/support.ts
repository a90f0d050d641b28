import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ItemStatus, QueueName, type LogStream } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, type QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { Lane, TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import { loadConfig } from "../../shared/config/load.js";
import type { Config } from "../../shared/config/schema.js";
import { createLogger } from "../../shared/log.js";
import { runRunner, type RunnerOverrides } from "../../services/runner/runner-service.js";
import { startTestControlPlane, type ControlPlaneOptions, type TestControlPlane } from "../support/control-plane.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { afterEach } from "vitest";

export const FINAL_STATUSES = [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.CANCELLED, ItemStatus.DEAD_LETTER];

/** A repository on main, a control plane, and the settings a runner on them uses. */
export interface Scene {
  dir: TempDir;
  repo: string;
  dataDir: string;
  baseSha: string;
  controlPlane: TestControlPlane;
  sessionId: string;
  /**
   * The in-process runner's worker id, unique per scene: a runner sweeps what others with its id
   * left (process groups included), so two suites sharing an id would kill each other's commands.
   */
  workerId: string;
  /** The runner's config: this repo, this data dir, quick leases and heartbeats. */
  config(overrides?: Record<string, unknown>): Config;
  remove(): Promise<void>;
}

let sceneCount = 0;

export async function createScene(options: { files?: Record<string, string>; controlPlane?: ControlPlaneOptions } = {}): Promise<Scene> {
  const dir = await tempDir("pushpals-runner-");
  const repo = join(dir.path, "repo");
  const dataDir = join(dir.path, "data");
  await mkdir(repo);
  const baseSha = await initRepo(repo, options.files ?? { "README.md": "# runner test\n", "src/app.txt": "app\n", "docs/guide.md": "guide\n" });
  const controlPlane = await startTestControlPlane(options.controlPlane);
  const { session } = await controlPlane.clients.sessions.createSession({ title: "runner test" });
  const workerId = `test-runner-${process.pid}-${(sceneCount += 1)}`;
  return {
    dir,
    repo,
    dataDir,
    baseSha,
    controlPlane,
    sessionId: session!.id,
    workerId,
    config: (overrides = {}) => runnerConfig(repo, dataDir, { "runner.workerId": workerId, ...overrides }),
    async remove() {
      await controlPlane.stop();
      await dir.remove();
    },
  };
}

export function runnerConfig(repo: string, dataDir: string, overrides: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      "repo.path": repo,
      "storage.dataDir": dataDir,
      "runner.driver": "process",
      // Runner suites run scripted agents on scratch repositories, where bwrap is missing too.
      "runner.allowUnisolated": true,
      "runner.heartbeatSeconds": 1,
      "runner.leaseSeconds": 10,
      ...overrides,
    },
  });
}

export interface InProcessRunner {
  ended: Map<string, string>;
  stop(): Promise<void>;
}

/** A runner in this process against the scene's control plane; stop() waits until it has cleaned up. */
export function startRunner(scene: Scene, overrides: Record<string, unknown> = {}, runnerOverrides: RunnerOverrides = {}): InProcessRunner {
  const controller = new AbortController();
  const ended = new Map<string, string>();
  const config = scene.config(overrides);
  const running = runRunner({ config, logger: createLogger("test-runner"), controlPlaneUrl: scene.controlPlane.url, clients: scene.controlPlane.clients }, controller.signal, {
    claimWaitMs: 5000,
    ...runnerOverrides,
    onJobEnded: (jobId, ending) => {
      ended.set(jobId, ending);
      runnerOverrides.onJobEnded?.(jobId, ending);
    },
  });
  return {
    ended,
    async stop() {
      controller.abort();
      await running;
    },
  };
}

export type TaskInit = MessageInitShape<typeof TaskExecuteV2Schema>;

/** Enqueues a task.execute job (deterministic unless the task says otherwise). */
export async function enqueueJob(scene: Scene, task: TaskInit, options: { maxAttempts?: number } = {}): Promise<QueueItem> {
  const { item } = await scene.controlPlane.clients.queues.enqueue({
    queue: QueueName.JOBS,
    sessionId: scene.sessionId,
    payload: create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, { lane: Lane.DETERMINISTIC, ...task }) } }),
    maxAttempts: options.maxAttempts ?? 0,
  });
  return item!;
}

export async function getItem(scene: Scene, id: string): Promise<QueueItem> {
  return (await scene.controlPlane.clients.queues.getItem({ itemId: id })).item!;
}

/** Polls until the item reaches one of `statuses`. */
export async function waitForStatus(scene: Scene, id: string, statuses: readonly ItemStatus[] = FINAL_STATUSES, timeoutMs = 20_000): Promise<QueueItem> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const item = await getItem(scene, id);
    if (statuses.includes(item.status)) return item;
    if (Date.now() > deadline)
      throw new Error(`item ${id} is ${ItemStatus[item.status]} after ${timeoutMs} ms; waited for ${statuses.map((s) => ItemStatus[s]).join("/")} (last error: ${item.lastError})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every event of the session about `itemId`, in order. */
export async function itemEvents(scene: Scene, itemId: string): Promise<Event[]> {
  const events: Event[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await scene.controlPlane.clients.sessions.listEvents({ sessionId: scene.sessionId, afterSeq, limit: 1000, itemId });
    events.push(...page.events);
    afterSeq = page.nextAfterSeq;
    if (!page.hasMore) return events;
  }
}

export interface LoggedLine {
  line: bigint;
  stream: LogStream;
  text: string;
}

/** The job's log lines, from its job_log events. */
export async function jobLog(scene: Scene, jobId: string): Promise<LoggedLine[]> {
  return (await itemEvents(scene, jobId)).flatMap((event) =>
    event.payload.case === "jobLog" ? [{ line: event.payload.value.line, stream: event.payload.value.stream, text: event.payload.value.text }] : [],
  );
}

export async function completions(scene: Scene): Promise<QueueItem[]> {
  return (await scene.controlPlane.clients.queues.listItems({ queue: QueueName.COMPLETIONS, sessionId: scene.sessionId })).items;
}

/**
 * Commits carrying the job's trailer on any branch of the repository. Branches, not --all:
 * --all also walks every worktree's HEAD, and the runner's pool may be adding a spare
 * worktree right then, whose HEAD git fills in only after a placeholder.
 */
export async function commitsOfJob(repo: string, jobId: string): Promise<string[]> {
  const out = await git(repo, "log", "--branches", `--format=%H %(trailers:key=PushPals-Job,valueonly,separator=%x2C)`);
  return out
    .split("\n")
    .filter((line) => line.trim().split(" ")[1] === jobId)
    .map((line) => line.split(" ")[0]!);
}

/**
 * Where a job's branch points, "" once it is gone: a job that ends without a completion
 * has its branch deleted with its worktree (runner.deleteJobBranches), so "nothing was
 * committed" reads as "at the base, or gone".
 */
export async function jobBranchTip(repo: string, branch: string): Promise<string> {
  return git(repo, "for-each-ref", "--format=%(objectname)", `refs/heads/${branch}`);
}

export async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await git(repo, "branch", "--list", branch)).trim() !== "";
}

export interface AgentRun {
  scene: Scene;
  model: ScriptedModelServer;
  runner: InProcessRunner;
}

/**
 * The set-up the agent-lane suites share: a scene, the scripted model and an in-process runner
 * talking to it, all stopped after each test. Call once in a describe; each test calls the
 * returned start() with only what differs (files, the model's script, settings).
 */
export function useAgentRun(): (options: {
  script: ScriptInput;
  files?: Record<string, string>;
  settings?: Record<string, unknown>;
  runner?: RunnerOverrides;
}) => Promise<AgentRun> {
  let current: Partial<AgentRun> = {};
  afterEach(async () => {
    await current.runner?.stop();
    await current.model?.close();
    await current.scene?.remove();
    current = {};
  });
  return async ({ script, files, settings = {}, runner = {} }) => {
    current.scene = await createScene(files ? { files } : {});
    current.model = await startScriptedModelServer({ script });
    current.runner = startRunner(current.scene, { "llm.baseUrl": current.model.url, "llm.model": "scripted-agent", "llm.maxRetries": 0, ...settings }, runner);
    return current as AgentRun;
  };
}

type ScriptInput = Parameters<typeof startScriptedModelServer>[0]["script"];

import { errorMessage, failedPrecondition, invalidArgument } from "../../shared/errors.js";
import { silentLogger, type Logger } from "../../shared/log.js";
import type { Sandbox, SandboxDriver, SandboxSpec } from "../driver.js";
import { sandboxLog } from "../sandbox-log.js";
import { validateSpec } from "../validate.js";
import { kubeFailure } from "./api-errors.js";
import { connectCluster, type Cluster } from "./cluster.js";
import { ownerSelector, podName } from "./names.js";
import { NO_MODEL_SOCKET } from "./model-access.js";
import { ensureDenyEgressPolicy, ensureSetupEgressPolicy } from "./network-policy.js";
import { deletePod } from "./pod-deletion.js";
import { podManifest } from "./pod-manifest.js";
import { waitUntilRunning } from "./pod-readiness.js";
import { podSandbox } from "./pod-sandbox.js";
import { copyIntoPod } from "./pod-workspace.js";
import { kubernetesSettings, type KubernetesSandboxSettings, type SupervisorSettings } from "./settings.js";

export { POD_WORKDIR, JOB_LABEL, OWNER_LABEL, MANAGED_BY_LABEL, COMPONENT_LABEL, labelValue, ownerSelector } from "./names.js";
export { DENY_EGRESS_POLICY } from "./network-policy.js";
export { NO_MODEL_SOCKET } from "./model-access.js";
export type { KubernetesSandboxSettings } from "./settings.js";

const AVAILABLE_TIMEOUT_MS = 5000;

/**
 * One pod per job (pod-manifest.ts), behind a deny-all egress NetworkPolicy (network-policy.ts),
 * through @kubernetes/client-node. start() creates the pod, waits until it runs and copies the
 * job's worktree in; commands are execs (pod-command.ts); copyOut() brings the workspace back;
 * stop() deletes the pod; sweep() deletes what a crashed runner left, found by its labels.
 *
 * `overrides` replaces derived settings (tests shorten timeouts with it).
 */
export function createKubernetesDriver(supervisor: SupervisorSettings, logger: Logger = silentLogger, overrides: Partial<KubernetesSandboxSettings> = {}): SandboxDriver {
  const settings: KubernetesSandboxSettings = { ...kubernetesSettings(supervisor), ...overrides };
  const log = logger.child({ driver: "kubernetes", namespace: settings.namespace });
  let cluster: Cluster | undefined;
  const connect = () => (cluster ??= connectCluster(settings.kubeconfig));
  let policy: Promise<void> | undefined;
  let setupPolicy: Promise<void> | undefined;
  const ensurePolicy = (on: Cluster) => {
    policy ??= ensureDenyEgressPolicy(on, settings.namespace, log);
    policy.catch(() => (policy = undefined));
    return policy;
  };

  return {
    name: "kubernetes",
    async available() {
      try {
        const version = await withTimeout(connect().version.getCode(), AVAILABLE_TIMEOUT_MS);
        log.debug({ server: connect().server, version: version.gitVersion }, "kubernetes API reachable");
        return true;
      } catch (error) {
        log.info({ error: errorMessage(error) }, "the kubernetes API is not reachable");
        return false;
      }
    },

    async start(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox> {
      validateSpec(spec);
      if (spec.network && spec.phase !== "setup") {
        throw failedPrecondition(
          `job ${spec.jobId} asks for network access, but kubernetes sandbox pods sit behind a deny-all egress NetworkPolicy; use the docker driver with runner.docker.network set, or drop the job's network need`,
        );
      }
      if (spec.modelSocket) throw failedPrecondition(NO_MODEL_SOCKET);
      signal?.throwIfAborted();
      const on = connect();
      await ensurePolicy(on);
      if (spec.network)
        await (setupPolicy ??= ensureSetupEgressPolicy(on, settings.namespace, log).catch((error: unknown) => {
          setupPolicy = undefined;
          throw error;
        }));
      const name = podName(spec.jobId);
      const podLog = sandboxLog(log, "kubernetes", spec, { pod: name });
      if (spec.limits?.pids !== undefined) podLog.info({ pids: spec.limits.pids }, "pods have no per-pod pids limit; the node's podPidsLimit applies");
      const startedAt = performance.now();
      try {
        await on.core.createNamespacedPod({ namespace: settings.namespace, body: podManifest({ name, spec, settings }) });
      } catch (error) {
        throw kubeFailure(`create pod ${name} in namespace ${settings.namespace}`, error, { namespace: settings.namespace, server: on.server });
      }
      podLog.info({ image: spec.image || settings.image, phase: spec.phase }, "sandbox pod created");
      const pod = { cluster: on, namespace: settings.namespace, name };
      try {
        await waitUntilRunning(pod, settings.startTimeoutMs, podLog, signal);
        const runningAt = performance.now();
        await copyIntoPod({ cluster: on, namespace: settings.namespace, pod: name }, spec.worktree, podLog);
        signal?.throwIfAborted();
        podLog.info({ startMs: Math.round(runningAt - startedAt), copyInMs: Math.round(performance.now() - runningAt) }, "kubernetes sandbox ready");
      } catch (error) {
        await deletePod(pod, settings.deleteTimeoutMs, podLog).catch((cleanup: unknown) =>
          podLog.warn({ error: errorMessage(cleanup) }, "could not delete the pod that failed to start; sweep() will"),
        );
        throw error;
      }
      return podSandbox(pod, spec, settings, podLog);
    },

    async sweep(owner: string): Promise<number> {
      if (typeof owner !== "string" || owner === "") throw invalidArgument("owner", "must be the runner's worker id");
      const on = connect();
      const selector = ownerSelector(owner);
      let names: string[];
      try {
        const list = await on.core.listNamespacedPod({ namespace: settings.namespace, labelSelector: selector });
        names = list.items.map((pod) => pod.metadata?.name).filter((name): name is string => typeof name === "string");
      } catch (error) {
        throw kubeFailure(`list pods (${selector}) in namespace ${settings.namespace}`, error, { namespace: settings.namespace, server: on.server });
      }
      await Promise.all(names.map((name) => deletePod({ cluster: on, namespace: settings.namespace, name }, settings.deleteTimeoutMs, log.child({ owner, pod: name }))));
      if (names.length > 0) log.warn({ owner, removed: names.length, pods: names }, "deleted sandbox pods a previous runner left behind");
      return names.length;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

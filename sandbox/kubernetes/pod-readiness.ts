import type { CoreV1Event, V1Pod } from "@kubernetes/client-node";
import type { ConnectError } from "@connectrpc/connect";
import { failedPrecondition, unavailable } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { kubeFailure } from "./api-errors.js";
import type { Cluster } from "./cluster.js";
import { CONTAINER_NAME } from "./names.js";
import { pollUntil } from "./poll.js";

/** Waiting reasons that do not fix themselves; anything else (ContainerCreating, ErrImagePull, ...) is waited out. */
const STUCK_REASONS = new Set([
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "CrashLoopBackOff",
]);

export interface PodRef {
  cluster: Cluster;
  namespace: string;
  name: string;
}

/**
 * Polls the pod until its container runs. A pod that fails, or whose container is stuck
 * (image cannot be pulled, config refused), fails at once; one still pending at the deadline
 * (unschedulable, slow pull) fails then. Either way the error carries the pod's phase,
 * conditions, container state and events, and says what to check.
 */
/** `logger` is bound to the pod already. */
export async function waitUntilRunning(pod: PodRef, timeoutMs: number, logger: Logger, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: V1Pod | undefined;
  let lastState = "";
  for await (const _attempt of pollUntil(deadline, signal)) {
    try {
      last = await pod.cluster.core.readNamespacedPod({ name: pod.name, namespace: pod.namespace });
    } catch (error) {
      throw kubeFailure(`read pod ${pod.name} in namespace ${pod.namespace}`, error, { namespace: pod.namespace, server: pod.cluster.server });
    }
    const state = describeState(last);
    if (state !== lastState) {
      logger.info({ state }, "waiting for the sandbox pod to run");
      lastState = state;
    }
    const phase = last.status?.phase;
    const container = containerStatus(last);
    if (phase === "Running" && container?.state?.running) return;
    if (phase === "Failed" || phase === "Succeeded" || STUCK_REASONS.has(container?.state?.waiting?.reason ?? "")) {
      throw await startFailure(pod, last, `failed to start`, failedPrecondition);
    }
  }
  throw await startFailure(pod, last, `did not start within ${Math.round(timeoutMs / 1000)} s`, unavailable);
}

async function startFailure(pod: PodRef, last: V1Pod | undefined, what: string, make: (message: string) => ConnectError): Promise<ConnectError> {
  const events = await pod.cluster.core.listNamespacedEvent({ namespace: pod.namespace, fieldSelector: `involvedObject.name=${pod.name}` }).then(
    (list) => list.items,
    () => [] as CoreV1Event[],
  );
  const details = [last ? describeState(last) : "never seen", ...describeEvents(events)].join("; ");
  return make(
    `sandbox pod ${pod.namespace}/${pod.name} ${what}: ${details}; check runner.kubernetes.image, cpu and memory against the cluster (kubectl -n ${pod.namespace} describe pod ${pod.name} while it exists)`,
  );
}

function containerStatus(pod: V1Pod) {
  return pod.status?.containerStatuses?.find((status) => status.name === CONTAINER_NAME);
}

/** "phase Pending, PodScheduled=False (Unschedulable: 0/3 nodes ...), container waiting: ImagePullBackOff (...)" */
export function describeState(pod: V1Pod): string {
  const parts = [`phase ${pod.status?.phase ?? "unknown"}`];
  if (pod.status?.reason) parts.push(`${pod.status.reason}${pod.status.message ? ` (${pod.status.message})` : ""}`);
  for (const condition of pod.status?.conditions ?? []) {
    if (condition.status === "True") continue;
    const why = [condition.reason, condition.message].filter(Boolean).join(": ");
    parts.push(`${condition.type}=${condition.status}${why ? ` (${why})` : ""}`);
  }
  const state = containerStatus(pod)?.state;
  if (state?.waiting) parts.push(`container waiting: ${state.waiting.reason ?? "?"}${state.waiting.message ? ` (${state.waiting.message})` : ""}`);
  if (state?.terminated) parts.push(`container terminated: ${state.terminated.reason ?? "?"}, exit code ${state.terminated.exitCode}`);
  return parts.join(", ");
}

function describeEvents(events: CoreV1Event[]): string[] {
  return events
    .filter((event) => event.type === "Warning")
    .slice(-5)
    .map((event) => `event ${event.reason ?? "?"}: ${event.message ?? ""}`.trim());
}

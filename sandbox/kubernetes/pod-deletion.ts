import type { Logger } from "../../shared/log.js";
import { isNotFound, kubeFailure } from "./api-errors.js";
import { pollUntil } from "./poll.js";
import type { PodRef } from "./pod-readiness.js";

/**
 * Deletes the pod without a grace period (its processes are killed at once; nothing in a
 * sandbox needs a clean shutdown) and waits until the API no longer has it, so a stopped
 * sandbox is really gone. Already gone is fine. Returns false if it is still there at the deadline.
 * `logger` is bound to the pod already.
 */
export async function deletePod(pod: PodRef, timeoutMs: number, logger: Logger): Promise<boolean> {
  const context = { namespace: pod.namespace, server: pod.cluster.server };
  try {
    await pod.cluster.core.deleteNamespacedPod({ name: pod.name, namespace: pod.namespace, gracePeriodSeconds: 0 });
  } catch (error) {
    if (isNotFound(error)) return true;
    throw kubeFailure(`delete pod ${pod.name} in namespace ${pod.namespace}`, error, context);
  }
  for await (const _attempt of pollUntil(performance.now() + timeoutMs)) {
    try {
      await pod.cluster.core.readNamespacedPod({ name: pod.name, namespace: pod.namespace });
    } catch (error) {
      if (isNotFound(error)) return true;
      throw kubeFailure(`read pod ${pod.name} in namespace ${pod.namespace}`, error, context);
    }
  }
  logger.warn({ timeoutMs }, "the deleted sandbox pod is still there; the cluster will finish removing it, and sweep() retries");
  return false;
}

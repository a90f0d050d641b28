import { ApiException } from "@kubernetes/client-node";
import type { ConnectError } from "@connectrpc/connect";
import { alreadyExists, errorMessage, failedPrecondition, unavailable } from "../../shared/errors.js";

/** The HTTP status of a failed API call; undefined when the API was not reached at all. */
export function apiStatusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return apiStatusCode(error) === 404;
}

/** The API server's own explanation (the Status object's message), not the client's dump. */
export function apiMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return errorMessage(error);
  const body: unknown = error.body;
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === "string" && status.message !== "") return status.message;
    } catch {
      if (body.trim() !== "") return body.trim().slice(0, 500);
    }
  }
  return `HTTP ${error.code}`;
}

/**
 * One failed call as a ConnectError that says what to do: `action` is what we tried
 * ("create pod x in namespace y"), `hint` the likely fix for a rejected request.
 */
export function kubeFailure(action: string, error: unknown, context: { namespace: string; server: string }): ConnectError {
  const code = apiStatusCode(error);
  const message = apiMessage(error);
  if (code === undefined) {
    return unavailable(
      `could not ${action}: the Kubernetes API at ${context.server} did not answer (${message}); check the cluster is up and runner.kubernetes.kubeconfig (PUSHPALS_KUBECONFIG) points at it`,
    );
  }
  if (code === 401 || code === 403) {
    return failedPrecondition(
      `could not ${action}: ${message}; give the runner's identity RBAC on pods, pods/exec, events and networkpolicies in namespace ${context.namespace} (see sandbox/kubernetes/README.md)`,
    );
  }
  if (code === 404) {
    return failedPrecondition(
      `could not ${action}: ${message}; create namespace ${context.namespace} (kubectl create namespace ${context.namespace}) or set runner.kubernetes.namespace`,
    );
  }
  if (code === 409) return alreadyExists(`could not ${action}: ${message}`);
  if (code === 400 || code === 422) {
    return failedPrecondition(
      `could not ${action}: the API server rejected it (${message}); check runner.kubernetes (image, cpu, memory, runAsUser) and the namespace's admission policies`,
    );
  }
  return unavailable(`could not ${action}: the API server answered ${code} (${message}); retry, and check the API server's health if it persists`);
}

import { Code, ConnectError } from "@connectrpc/connect";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { describeEndpoint, type RoleEndpoint } from "./role-endpoint.js";

/**
 * Turns whatever the `openai` client threw into a ConnectError whose code says what kind of
 * failure it was and whose message says what to do next. `attempts` is how many requests the
 * call made (retries included).
 */
export function toModelError(error: unknown, endpoint: RoleEndpoint, attempts: number, signal: AbortSignal): ConnectError {
  if (error instanceof ConnectError) return error;
  const where = describeEndpoint(endpoint);
  const role = endpoint.role.toUpperCase();
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  const make = (message: string, code: Code) => new ConnectError(message, code, undefined, undefined, error);

  if (error instanceof APIUserAbortError || signal.aborted) {
    return make(`model call to ${where} was cancelled`, Code.Canceled);
  }
  if (error instanceof APIConnectionTimeoutError) {
    return make(
      `model endpoint ${where} did not answer within ${endpoint.timeoutMs / 1000}s (${tries}); ` +
        `check that it is up and not overloaded, or raise llm.timeout_seconds (PUSHPALS_LLM_TIMEOUT_SECONDS)`,
      Code.DeadlineExceeded,
    );
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return make(
      `could not reach model endpoint ${where} (${tries})${cause}; ` + `check PUSHPALS_${role}_LLM_BASE_URL / PUSHPALS_LLM_BASE_URL and that the model server is running`,
      Code.Unavailable,
    );
  }
  if (error instanceof APIError && typeof error.status === "number") {
    return fromStatus(error.status, apiMessage(error), where, role, tries, make);
  }
  const message = error instanceof Error ? error.message : String(error);
  return make(`model call to ${where} failed: ${message}`, Code.Internal);
}

function fromStatus(status: number, detail: string, where: string, role: string, tries: string, make: (message: string, code: Code) => ConnectError): ConnectError {
  const answered = `model endpoint ${where} answered ${status}: ${detail}`;
  if (status === 401) return make(`${answered}; set a valid PUSHPALS_${role}_LLM_API_KEY or PUSHPALS_LLM_API_KEY`, Code.Unauthenticated);
  if (status === 403) return make(`${answered}; the API key lacks access to this model, use another key or model`, Code.PermissionDenied);
  if (status === 404) {
    return make(`${answered}; check the model name (PUSHPALS_${role}_LLM_MODEL) and that the base URL ends in /v1`, Code.NotFound);
  }
  if (status === 429) {
    return make(`${answered} (still rate-limited after ${tries}); wait and try again, or raise llm.max_retries`, Code.ResourceExhausted);
  }
  if (status >= 500 || status === 408 || status === 409) {
    return make(`${answered} (gave up after ${tries}); check the model server's logs, then try again`, Code.Unavailable);
  }
  return make(`${answered}; the endpoint rejected the request, check that it supports this model and these options`, Code.InvalidArgument);
}

/** The server's own error message when it sent one, without the SDK's "429 " prefix. */
function apiMessage(error: APIError): string {
  const body = error.error;
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") return body.message;
  return error.message.replace(/^\d{3}\s+/, "") || "no error message";
}

import OpenAI, { type ClientOptions } from "openai";
import type { Logger } from "../log.js";
import type { RoleEndpoint } from "./role-endpoint.js";

/**
 * The `openai` client for one role's endpoint. Retries (408/409/429/5xx, connection errors
 * and timeouts; exponential backoff 0.5 s → 8 s with jitter, honouring Retry-After) are the
 * SDK's own; every value comes from our config, never from OPENAI_* variables in the environment.
 */
export function openaiFor(endpoint: RoleEndpoint, logger: Logger): OpenAI {
  return new OpenAI({
    baseURL: endpoint.baseUrl || "https://api.openai.com/v1",
    // Local servers (Ollama, vLLM, LM Studio) need no key, but the SDK insists on one.
    apiKey: endpoint.apiKey || "no-key",
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: endpoint.timeoutMs,
    maxRetries: endpoint.maxRetries,
    logLevel: "warn",
    logger: sdkLogger(logger),
  });
}

/**
 * The same client, counting the requests one call makes and logging each failed attempt, so a
 * person watching the logs sees retries and backoff as they happen rather than a silent wait.
 */
export function observedClient(client: OpenAI, endpoint: RoleEndpoint, logger: Logger, counter: { attempts: number }, signal: AbortSignal): OpenAI {
  const maxAttempts = endpoint.maxRetries + 1;
  const observed: typeof fetch = async (input, init) => {
    const attempt = ++counter.attempts;
    try {
      const response = await fetch(input, init);
      if (!response.ok) {
        logger.warn({ status: response.status, attempt, maxAttempts }, `model endpoint answered ${response.status} (attempt ${attempt} of at most ${maxAttempts})`);
      }
      return response;
    } catch (error) {
      if (!signal.aborted) {
        // The SDK aborts its own signal when an attempt runs past the timeout.
        const what = init?.signal?.aborted ? `timed out after ${endpoint.timeoutMs} ms` : "could not connect";
        logger.warn({ attempt, maxAttempts, err: error }, `model request ${what} (attempt ${attempt} of at most ${maxAttempts})`);
      }
      throw error;
    }
  };
  return client.withOptions({ fetch: observed });
}

function sdkLogger(logger: Logger): NonNullable<ClientOptions["logger"]> {
  return {
    error: (message, ...details) => logger.error({ sdk: details }, message),
    warn: (message, ...details) => logger.warn({ sdk: details }, message),
    info: (message, ...details) => logger.debug({ sdk: details }, message),
    debug: (message, ...details) => logger.trace({ sdk: details }, message),
  };
}

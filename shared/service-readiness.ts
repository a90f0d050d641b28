import { Code } from "@connectrpc/connect";
import type { Clients } from "./clients.js";
import { isConnectCode } from "./errors.js";
import { sleep } from "./time.js";

export type ServiceStates = { chat: boolean; planner: boolean; integration: boolean; runner: boolean };

/**
 * Which services answer through the control plane right now: chat and planning reply
 * to an empty request with InvalidArgument once their process is up (Unavailable or
 * Unimplemented before), integration reports its status, and a runner has registered.
 */
export async function serviceStates(clients: Clients): Promise<ServiceStates> {
  const answers = (call: Promise<unknown>) =>
    call.then(
      () => true,
      (error: unknown) => !isConnectCode(error, Code.Unavailable) && !isConnectCode(error, Code.Unimplemented),
    );
  const [chat, planner, integration, runner] = await Promise.all([
    answers(clients.chat.send({})),
    answers(clients.planning.plan({})),
    answers(clients.integration.getIntegrationStatus({})),
    clients.execution.listWorkers({}).then(
      (response) => response.workers.length > 0,
      () => false,
    ),
  ]);
  return { chat, planner, integration, runner };
}

/** Waits until every service answers; throws naming the ones that do not once `timeoutMs` has passed. */
export async function waitForServices(clients: Clients, options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const states = await serviceStates(clients);
    const missing = Object.entries(states)
      .filter(([, up]) => !up)
      .map(([name]) => name);
    if (missing.length === 0) return;
    if (Date.now() > deadline || options.signal?.aborted) {
      throw new Error(`not every service answered within ${options.timeoutMs / 1000} s: ${missing.join(", ")} did not`);
    }
    await sleep(options.intervalMs ?? 100, options.signal);
  }
}

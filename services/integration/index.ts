/** The integration core's public surface; the worker loop and the RPC service import from here. */
export { openIntegrator, type Integrator, type IntegratorOptions } from "./integrator.js";
export type { IntegrateOptions } from "./integrate.js";
export { toMerge, type IntegrationOutcome, type MergeIdentity } from "./outcome.js";
export type { IntegrationProgress } from "./progress.js";
export { settingsFromConfig, type IntegrationSettings, type CheckSpec, type MergeStrategy } from "./settings.js";
export type { RunCheck, CheckRun, CheckRunOptions } from "./checks/run-check.js";
export { hostRunCheck } from "./checks/host-run-check.js";
export type { PullRequestProvider, PullRequestDraft, PullRequestRef } from "./pull-requests/provider.js";
export { githubPullRequests, type GitHubOptions } from "./pull-requests/github.js";
export { JOB_TRAILER } from "./history.js";
export type { SyncState } from "./sync.js";
export { sandboxRunCheck, type SandboxCheckOptions } from "./checks/sandbox-run-check.js";
export { allowedEnvironment } from "../../shared/secret-environ.js";
export { checkRunnerFromConfig, type CheckRunner } from "./checks/check-runner.js";
export { runIntegrationWorker, type WorkerOverrides } from "./worker/run-worker.js";
